package compare

import (
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/minictr/minictr/compare/workloads"
	rspec "github.com/minictr/minictr/runtime/spec"
	"github.com/minictr/minictr/vmm"
	"github.com/minictr/minictr/vmm/initramfs"
	"github.com/minictr/minictr/vmm/linux"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// launcher runs the workloads of one kind.
type launcher struct {
	kind   string
	bin    string // the minictr binary
	dir    string // this kind's scratch directory
	accel  string // microvm: which VMM and accelerator
	initBn string // microvm: minictr-init
	mbc    string // vm: the compiled workload
	tmp    string // host, vm: the syscall workload's directory
}

var ids atomic.Int64

// newLauncher prepares kind under work; a non-empty reason means the kind cannot run here.
func newLauncher(ctx context.Context, kind, bin, work string) (*launcher, string, error) {
	l := &launcher{kind: kind, bin: bin, dir: filepath.Join(work, kind)}
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return nil, "", err
	}
	switch kind {
	case Host, VM:
		// The syscall workload's files go to tmpfs where there is one, as in the container
		// (/tmp is a tmpfs there) and the microVM (the initramfs is one).
		base := l.dir
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			if d, err := os.MkdirTemp("/dev/shm", "minictr-compare-"); err == nil {
				base = d
			}
		}
		l.tmp = base
		if kind == VM {
			src := filepath.Join(l.dir, "workload.go")
			if err := os.WriteFile(src, workloads.Source, 0o644); err != nil {
				return nil, "", err
			}
			l.mbc = filepath.Join(l.dir, "workload.mbc")
			if out, err := exec.CommandContext(ctx, bin, "vm", "build", "-o", l.mbc, src).CombinedOutput(); err != nil {
				return nil, "", fmt.Errorf("vm build -o %s %s: %w: %s", l.mbc, src, err, out)
			}
		}
	case Container:
		if os.Geteuid() != 0 {
			return nil, "containers need root here", nil
		}
		if why := notStatic(bin); why != "" {
			return nil, why, nil
		}
		if err := makeRootfs(filepath.Join(l.dir, "rootfs"), bin); err != nil {
			return nil, "", err
		}
	case MicroVM:
		if why := notStatic(bin); why != "" {
			return nil, why, nil
		}
		name, why := vmm.DefaultVMM()
		if name == "qemu" {
			if _, err := exec.LookPath(initramfs.QEMUBinary); err != nil {
				return nil, initramfs.QEMUBinary + " not installed (Debian package qemu-system-x86)", nil
			}
		} else if os.Geteuid() != 0 {
			if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err != nil {
				return nil, fmt.Sprintf("no usable /dev/kvm: %v", err), nil
			} else {
				f.Close()
			}
		}
		accel, accelWhy := initramfs.DetectAccel()
		if name == "qemu" {
			l.accel = fmt.Sprintf("qemu -M microvm with %s (%s)", strings.ToUpper(string(accel)), accelWhy)
		} else {
			l.accel = "minictr's VMM on KVM (" + why + ")"
		}
		l.initBn = filepath.Join(filepath.Dir(bin), "minictr-init")
		if p := os.Getenv("MINICTR_INIT"); p != "" {
			l.initBn = p
		}
		if _, err := os.Stat(l.initBn); err != nil {
			return nil, fmt.Sprintf("no guest init %s (make build puts minictr-init beside minictr)", l.initBn), nil
		}
		if _, err := linux.DebianKernel(ctx, ""); err != nil {
			return nil, fmt.Sprintf("no guest kernel: %v", err), nil
		}
		if err := makeRootfs(filepath.Join(l.dir, "rootfs"), bin); err != nil {
			return nil, "", err
		}
	}
	return l, "", nil
}

func (l *launcher) close() {
	if l.tmp != "" && filepath.Dir(l.tmp) == "/dev/shm" {
		os.RemoveAll(l.tmp)
	}
}

// notStatic says why bin cannot be copied into a rootfs without its libraries ("" if it can).
func notStatic(bin string) string {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Sprintf("%s: not an ELF executable: %v", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Sprintf("%s is dynamically linked; a rootfs holds only it (build it static: make build)", bin)
		}
	}
	return ""
}

// makeRootfs is the smallest root filesystem the workload needs: minictr and empty mount points.
func makeRootfs(root, bin string) error {
	for _, d := range []string{"proc", "dev", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("make rootfs: %w", err)
		}
	}
	os.Chmod(filepath.Join(root, "tmp"), 0o1777)
	data, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("make rootfs: read %s: %w", bin, err)
	}
	if err := os.WriteFile(filepath.Join(root, "minictr"), data, 0o755); err != nil {
		return fmt.Errorf("make rootfs: %w", err)
	}
	return nil
}

// workloadArgs is the argument list of the workload verb and of the VM program.
func workloadArgs(workload string, n int, dir string) []string {
	switch workload {
	case "start":
		return []string{"start"}
	case "syscall":
		return []string{"syscall", strconv.Itoa(n), dir}
	}
	return []string{workload, strconv.Itoa(n)}
}

// run runs one workload once.
func (l *launcher) run(ctx context.Context, workload string, n int, timeout time.Duration) (Measurement, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var cmd *exec.Cmd
	switch l.kind {
	case Host:
		cmd = exec.CommandContext(ctx, l.bin, append([]string{"workload"}, workloadArgs(workload, n, l.tmp)...)...)
	case VM:
		args := append([]string{"vm", "run", l.mbc, "--dir", l.tmp + ":/tmp", "--"}, workloadArgs(workload, n, "/tmp")...)
		cmd = exec.CommandContext(ctx, l.bin, args...)
	case Container:
		bundle := l.dir
		id := fmt.Sprintf("compare-%d-%d", os.Getpid(), ids.Add(1))
		if err := writeConfig(bundle, append([]string{"/minictr", "workload"}, workloadArgs(workload, n, "/tmp")...)); err != nil {
			return Measurement{}, err
		}
		// --keep, so that the container's cgroup can be read after the exit; the delete that
		// `run` would do is timed and added to the total.
		state := filepath.Join(l.dir, "state")
		cmd = exec.CommandContext(ctx, l.bin, "--root", state, "run", "--keep", "-b", bundle, id)
		m, err := measure(ctx, cmd, l.kind, workload)
		m.TreePeak = cgroupPeak(id)
		t0 := time.Now()
		out, derr := exec.Command(l.bin, "--root", state, "delete", "--force", id).CombinedOutput()
		m.Total += time.Since(t0)
		if err == nil && derr != nil {
			err = fmt.Errorf("delete container %s: %w: %s", id, derr, out)
		}
		return m, err
	case MicroVM:
		args := append([]string{"vmm", "exec", "--rootfs", filepath.Join(l.dir, "rootfs"), "--init", l.initBn,
			"--timeout", timeout.String(), "--", "/minictr", "workload"}, workloadArgs(workload, n, "/tmp")...)
		cmd = exec.CommandContext(ctx, l.bin, args...)
	}
	return measure(ctx, cmd, l.kind, workload)
}

// writeConfig writes the bundle's config.json: the runtime's default spec, no terminal, a tmpfs
// on /tmp (the root is read-only) and the workload as the process.
func writeConfig(bundle string, args []string) error {
	s := rspec.Default()
	s.Process.Terminal = false
	s.Process.Args = args
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=65536k"}})
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return err
	}
	p := filepath.Join(bundle, "config.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// cgroupPeak is the peak memory use of a container's cgroup, in bytes (0 when unknown): the
// whole tree inside the container, page cache of its tmpfs included. The runtime's default
// cgroup is /minictr/<id>.
func cgroupPeak(id string) int64 {
	for _, p := range []string{
		"/sys/fs/cgroup/memory/minictr/" + id + "/memory.max_usage_in_bytes", // v1
		"/sys/fs/cgroup/minictr/" + id + "/memory.peak",                      // v2
	} {
		if b, err := os.ReadFile(p); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
				return n
			}
		}
	}
	return 0
}
