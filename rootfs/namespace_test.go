package rootfs

// These tests run Prepare and Finalize for real, as root, but never in the test process's own
// mount namespace: the test binary re-executes itself (TestHelperProcess) with new mount, pid,
// uts and ipc namespaces (and a user + network namespace in one variant), the helper builds the
// container from a busybox rootfs, inspects it from the inside, and reports as JSON on fd 3.
// The namespaces die with the helper, which takes every mount with it.

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const helperEnv = "MINICTR_ROOTFS_TEST_HELPER"

// helperRequest is what the parent asks the helper to build and look at.
type helperRequest struct {
	Spec    *specs.Spec
	Bundle  string
	NoPivot bool
	Sysctl  map[string]string
	Files   []string // container paths to stat and try writing
	Reads   []string // container paths to read (masked files) or list (masked dirs)
	Links   []string // container paths to readlink
	Script  string   // run with /bin/sh inside, after Finalize
	// RaceDest, with RaceTo: just before mounting onto RaceDest, the helper renames the
	// mount point to RaceDest+".orig" and puts a symlink to RaceTo (a host path) in its place.
	RaceDest, RaceTo string
	Rootfs           string
}

type fileReport struct {
	Exists   bool
	Mode     uint32 // st_mode
	Major    uint32
	Minor    uint32
	WriteErr string // "" when a write (open O_WRONLY) worked
}

type helperReport struct {
	Error      string
	PrepareErr string // with RaceDest: Prepare's error (the helper then reports mounts unpivoted)
	Cwd        string
	Mounts     []mountInfo
	Files      map[string]fileReport
	Reads      map[string]string // content (files) or names joined by "," (dirs), or "error: ..."
	Links      map[string]string
	Sysctl     map[string]string // read back after Finalize
	Script     string            // the script's combined output
	ScriptErr  string
	Prepare    time.Duration // how long Prepare took, and Finalize (logged, never asserted)
	Finalize   time.Duration
}

// TestHelperProcess is not a test: it is the container's init when helperEnv is set.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for the namespace tests; runs only when re-executed by them")
	}
	out := os.NewFile(3, "report")
	rep := runHelper()
	json.NewEncoder(out).Encode(rep)
	out.Close()
	os.Exit(0)
}

func runHelper() (rep helperReport) {
	var req helperRequest
	data, err := io.ReadAll(os.NewFile(4, "request"))
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err != nil {
		return helperReport{Error: "read request: " + err.Error()}
	}
	c := &Config{Spec: req.Spec, Bundle: req.Bundle, NoPivot: req.NoPivot}
	if req.RaceDest != "" {
		testHookBeforeMount = func(dest string) {
			if dest != req.RaceDest {
				return
			}
			p := filepath.Join(req.Rootfs, dest)
			if err := os.Rename(p, p+".orig"); err != nil {
				panic(err)
			}
			if err := os.Symlink(req.RaceTo, p); err != nil {
				panic(err)
			}
		}
		if err := Prepare(c); err != nil {
			rep.PrepareErr = err.Error()
		}
		rep.Mounts, _ = readMountinfo()
		return rep
	}
	start := time.Now()
	if err := Prepare(c); err != nil {
		return helperReport{Error: "Prepare: " + err.Error()}
	}
	rep.Prepare = time.Since(start)
	// What the runtime does between the two calls.
	if req.Spec.Hostname != "" {
		if err := unix.Sethostname([]byte(req.Spec.Hostname)); err != nil {
			return helperReport{Error: "sethostname: " + err.Error()}
		}
	}
	if err := WriteSysctls(req.Sysctl, req.Spec.Linux.Namespaces); err != nil {
		return helperReport{Error: "WriteSysctls: " + err.Error()}
	}
	start = time.Now()
	if err := Finalize(c); err != nil {
		return helperReport{Error: "Finalize: " + err.Error()}
	}
	rep.Finalize = time.Since(start)
	rep.Cwd, _ = os.Getwd()
	if rep.Mounts, err = readMountinfo(); err != nil {
		rep.Error = err.Error()
	}
	rep.Files = map[string]fileReport{}
	for _, p := range req.Files {
		var st unix.Stat_t
		fr := fileReport{}
		if err := unix.Stat(p, &st); err == nil {
			fr = fileReport{Exists: true, Mode: st.Mode, Major: unix.Major(st.Rdev), Minor: unix.Minor(st.Rdev)}
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				f, err := os.CreateTemp(p, "w")
				if err == nil {
					f.Close()
					os.Remove(f.Name())
				} else {
					fr.WriteErr = errName(err)
				}
			} else if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
				f.Close()
			} else {
				fr.WriteErr = errName(err)
			}
		}
		rep.Files[p] = fr
	}
	rep.Reads = map[string]string{}
	for _, p := range req.Reads {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			ents, err := os.ReadDir(p)
			names := []string{}
			for _, e := range ents {
				names = append(names, e.Name())
			}
			rep.Reads[p] = strings.Join(names, ",")
			if err != nil {
				rep.Reads[p] = "error: " + errName(err)
			}
		} else if b, err := os.ReadFile(p); err == nil {
			rep.Reads[p] = string(b)
		} else {
			rep.Reads[p] = "error: " + errName(err)
		}
	}
	rep.Links = map[string]string{}
	for _, p := range req.Links {
		l, err := os.Readlink(p)
		if err != nil {
			l = "error: " + errName(err)
		}
		rep.Links[p] = l
	}
	rep.Sysctl = map[string]string{}
	for k := range req.Sysctl {
		b, _ := os.ReadFile("/proc/sys/" + strings.ReplaceAll(k, ".", "/"))
		rep.Sysctl[k] = strings.TrimSpace(string(b))
	}
	if req.Script != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		b, err := exec.CommandContext(ctx, "/bin/sh", "-c", req.Script).CombinedOutput()
		rep.Script = string(b)
		if err != nil {
			rep.ScriptErr = err.Error()
		}
	}
	return rep
}

// errName is the errno's symbol (EROFS) when there is one, the text otherwise.
func errName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

// fixture is one bundle: a busybox rootfs with hostile symlinks, a host data directory to bind,
// and host directories the symlinks aim at.
type fixture struct {
	bundle, rootfs string
	hostDir        string // outside the rootfs; must stay empty
	dataDir        string // bind source, holds "marker"
	hostFile       string // a file bind source
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (mounts, namespaces)")
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (Debian package busybox-static)")
	}
	if dynamic(busybox) {
		t.Skip("busybox is dynamically linked; the test rootfs needs busybox-static")
	}
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		bundle:  filepath.Join(base, "bundle"),
		rootfs:  filepath.Join(base, "bundle", "rootfs"),
		hostDir: filepath.Join(base, "hostdir"),
		dataDir: filepath.Join(base, "data"),
	}
	f.hostFile = filepath.Join(base, "hostfile")
	for _, d := range []string{filepath.Join(f.rootfs, "bin"), filepath.Join(f.rootfs, "etc", "seeded", "sub"), f.hostDir, f.dataDir} {
		mustNo(t, os.MkdirAll(d, 0o755))
	}
	copyTestFile(t, busybox, filepath.Join(f.rootfs, "bin", "busybox"))
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	for _, name := range strings.Fields(string(out)) {
		if name != "busybox" && !strings.Contains(name, "/") {
			mustNo(t, os.Symlink("busybox", filepath.Join(f.rootfs, "bin", name)))
		}
	}
	mustNo(t, os.WriteFile(filepath.Join(f.dataDir, "marker"), []byte("data"), 0o644))
	mustNo(t, os.WriteFile(f.hostFile, []byte("hostfile"), 0o644))
	mustNo(t, os.WriteFile(filepath.Join(f.rootfs, "etc", "seeded", "seed"), []byte("seed"), 0o640))
	mustNo(t, os.Symlink("seed", filepath.Join(f.rootfs, "etc", "seeded", "link")))
	// The hostile links: to the host directory by absolute path and by climbing, and to /etc.
	mustNo(t, os.Symlink(f.hostDir, filepath.Join(f.rootfs, "evilabs")))
	mustNo(t, os.Symlink("../../../../../../../.."+f.hostDir+"/rel", filepath.Join(f.rootfs, "evilrel")))
	mustNo(t, os.Symlink("/etc", filepath.Join(f.rootfs, "evil")))
	return f
}

// dynamic reports whether an executable asks for a program interpreter (a dynamic loader).
func dynamic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// remap prepares the fixture for a user namespace whose root is host id hostID: the rootfs is
// chowned to the shifted ids, the fixture's directories opened to others, and the test binary
// copied next to them (its build directory is private to root). It returns the copy.
func (f *fixture) remap(t *testing.T, hostID int) string {
	t.Helper()
	base := filepath.Dir(f.bundle)
	err := filepath.Walk(f.rootfs, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		return os.Lchown(p, hostID+int(st.Uid), hostID+int(st.Gid))
	})
	mustNo(t, err)
	for d := base; d != "/" && d != os.TempDir() && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
		mustNo(t, os.Chmod(d, 0o755))
	}
	mustNo(t, os.Chmod(f.bundle, 0o755))
	exe := filepath.Join(base, "helper.test")
	copyTestFile(t, os.Args[0], exe)
	return exe
}

func mustNo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyTestFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	mustNo(t, err)
	mustNo(t, os.WriteFile(to, b, 0o755))
}

// hostDevice is a character device of the host to list in linux.devices (a user namespace binds
// it from the host, so it must exist there).
func hostDevice(t *testing.T) (string, uint32, uint32) {
	for _, p := range []string{"/dev/net/tun", "/dev/fuse", "/dev/kmsg"} {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR {
			return p, unix.Major(st.Rdev), unix.Minor(st.Rdev)
		}
	}
	t.Skip("no /dev/net/tun, /dev/fuse or /dev/kmsg on the host to use as a spec device")
	return "", 0, 0
}

var maskedPaths = []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi", "/sys/firmware", "/proc/does-not-exist"}
var readonlyPaths = []string{"/proc/sys", "/proc/bus", "/proc/irq", "/proc/sysrq-trigger", "/proc/does-not-exist-either"}

func (f *fixture) spec(devPath string, major, minor uint32, userns bool) *specs.Spec {
	mode := os.FileMode(0o620)
	uid, gid := uint32(1000), uint32(1001)
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}, {Type: specs.UTSNamespace}, {Type: specs.IPCNamespace}}
	if userns {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace}, specs.LinuxNamespace{Type: specs.NetworkNamespace},
			specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return &specs.Spec{
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "rootfs-test",
		Process:  &specs.Process{Terminal: true},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			{Destination: "/data", Type: "bind", Source: "../data", Options: []string{"rbind", "ro", "nosuid", "nodev", "rprivate"}},
			{Destination: "/rro", Type: "bind", Source: f.dataDir, Options: []string{"rbind", "rro", "rnoexec"}},
			{Destination: "/etc/hostfile", Type: "none", Source: f.hostFile, Options: []string{"bind", "ro"}},
			{Destination: "/rw", Type: "tmpfs", Source: "tmpfs", Options: []string{"noexec", "size=1m"}},
			{Destination: "/etc/seeded", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "size=1m"}},
			// The hostile destinations: each symlink must be followed inside the rootfs.
			{Destination: "/evilabs/mnt", Type: "bind", Source: f.dataDir, Options: []string{"rbind"}},
			{Destination: "/evilrel", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}},
			{Destination: "/evil/minictr-rootfs-test", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}},
		},
		Linux: &specs.Linux{
			Namespaces:    ns,
			Devices:       []specs.LinuxDevice{{Path: devPath, Type: "c", Major: int64(major), Minor: int64(minor), FileMode: &mode, UID: &uid, GID: &gid}},
			MaskedPaths:   maskedPaths,
			ReadonlyPaths: readonlyPaths,
		},
	}
}

// hostMounts is the host's mount table as a set of lines minus the fields that change without a
// mount (none do today), for the before/after comparison.
func hostMounts(t *testing.T) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	mustNo(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(lines)
	return lines
}

// checkHostMountsUnchanged asserts that no mount appeared, went or changed on the host at a path
// this test could have touched (its temp dirs, "/", /etc, /proc, /sys, /dev, the cgroup tree).
// Other packages' tests run at the same time on this machine and may mount under their own temp
// dirs; those changes are logged, not failed on.
func checkHostMountsUnchanged(t *testing.T, before []string, f *fixture) {
	after := hostMounts(t)
	base := filepath.Dir(f.bundle)
	ours := func(line string) bool {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			return true
		}
		mp := unescapeMountinfo(fields[4])
		if mp == "/" || strings.HasPrefix(mp, base) {
			return true
		}
		for _, p := range []string{"/etc", "/proc", "/sys", "/dev"} {
			if mp == p || strings.HasPrefix(mp, p+"/") {
				return true
			}
		}
		return false
	}
	for _, l := range after {
		if !slices.Contains(before, l) {
			if ours(l) {
				t.Errorf("host mount table gained: %s", l)
			} else {
				t.Logf("host mount table gained (not ours): %s", l)
			}
		}
	}
	for _, l := range before {
		if !slices.Contains(after, l) {
			if ours(l) {
				t.Errorf("host mount table lost or changed: %s", l)
			} else {
				t.Logf("host mount table lost (not ours): %s", l)
			}
		}
	}
}

// runHelperProcess runs the helper and returns its report. With a user namespace (userns), ids
// 0-65535 map to hostID.. on the host; exe is the binary to run (the test binary, or a copy the
// mapped ids can reach).
func runHelperProcess(t *testing.T, req *helperRequest, userns bool, hostID int, exe string) (*helperReport, error) {
	t.Helper()
	reqR, reqW, err := os.Pipe()
	mustNo(t, err)
	repR, repW, err := os.Pipe()
	mustNo(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.ExtraFiles = []*os.File{repW, reqR} // fd 3, fd 4
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Pdeathsig:  syscall.SIGKILL,
	}
	if userns {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWCGROUP
		// 65536 ids, so that the devpts gid=5 exists inside.
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: hostID, Size: 65536}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: hostID, Size: 65536}}
		// Become the namespace's root (host id hostID): a kernel id that is not mapped would
		// leave the helper without capabilities in its namespace.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	}
	mustNo(t, cmd.Start())
	reqR.Close()
	repW.Close()
	go func() {
		json.NewEncoder(reqW).Encode(req)
		reqW.Close()
	}()
	data, _ := io.ReadAll(bufio.NewReader(repR))
	repR.Close()
	werr := cmd.Wait()
	if werr != nil || len(data) == 0 {
		return nil, fmt.Errorf("helper process: %v (report %q)\nstderr: %s", werr, data, stderr)
	}
	var rep helperReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("helper report %q: %w", data, err)
	}
	if rep.Error != "" {
		return nil, fmt.Errorf("helper: %s\nstderr: %s", rep.Error, stderr)
	}
	return &rep, nil
}

func TestPrepareFinalize(t *testing.T) {
	for _, v := range []struct {
		name        string
		noPivot     bool
		userns      bool
		hostID      int // with userns: container id 0 is this host id
		propagation string
	}{
		{"pivot_root", false, false, 0, ""},
		{"no-pivot", true, false, 0, ""},
		// ids mapped to themselves: the rootfs stays root's; mknod, sysfs and locked mount
		// flags already take the user-namespace paths.
		{"userns", false, true, 0, ""},
		// ids shifted as a rootless or userns-remapped container has them, the rootfs chowned.
		{"userns-remapped", false, true, 100000, ""},
		{"pivot_root+shared", false, false, 0, "shared"},
		{"no-pivot+rslave", true, false, 0, "rslave"},
	} {
		t.Run(v.name, func(t *testing.T) {
			f := newFixture(t)
			devPath, major, minor := hostDevice(t)
			hostEtcTarget := "/etc/minictr-rootfs-test"
			if _, err := os.Lstat(hostEtcTarget); err == nil {
				t.Fatalf("%s exists on the host before the test", hostEtcTarget)
			}
			t.Cleanup(func() { os.Remove(hostEtcTarget) }) // only a broken build ever creates it
			before := hostMounts(t)
			spec := f.spec(devPath, major, minor, v.userns)
			spec.Linux.RootfsPropagation = v.propagation
			req := &helperRequest{
				Spec: spec, Bundle: f.bundle, NoPivot: v.noPivot,
				Sysctl: map[string]string{"kernel.domainname": "minictr.test", "kernel.shmmni": "2048"},
				Files: append([]string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", devPath,
					"/dev/console", "/", "/data", "/rro", "/etc/hostfile", "/rw", "/proc/sys/kernel/hostname", "/proc/sysrq-trigger", "/dev/shm"}, maskedPaths...),
				Reads: append([]string{"/data/marker", "/evilabs/mnt/marker", "/etc/seeded/seed", "/etc/hostfile"}, maskedPaths...),
				Links: []string{"/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/core", "/etc/seeded/link"},
				Script: "for p in " + strings.Join(maskedPaths, " ") + "; do [ -e $p ] && echo \"masked:$p:$(if [ -d $p ]; then ls -A $p; else cat $p; fi | wc -c)\"; done; " +
					"echo x > /proc/sys/kernel/domainname 2>/dev/null && echo sysctl-writable || echo sysctl-denied; " +
					"touch /newfile 2>/dev/null && echo root-writable || echo root-denied; " +
					"touch /rw/x && echo rw-ok; hostname",
			}
			exe := os.Args[0]
			if v.hostID != 0 {
				exe = f.remap(t, v.hostID)
			}
			if v.hostID != 0 {
				// The UTS sysctls stay owned by the host's root, whatever the namespace: a shifted
				// root gets EACCES from the kernel (runtimes set the domain name with
				// setdomainname instead). The IPC ones belong to the namespace's owner.
				delete(req.Sysctl, "kernel.domainname")
			}
			rep, err := runHelperProcess(t, req, v.userns, v.hostID, exe)
			// The host-side checks hold whether or not the helper got to the end.
			checkHostMountsUnchanged(t, before, f)
			if _, err := os.Lstat(hostEtcTarget); err == nil {
				t.Errorf("a mount point was created on the host at %s through the rootfs's /evil -> /etc", hostEtcTarget)
			}
			if ents, _ := os.ReadDir(f.hostDir); len(ents) != 0 {
				t.Errorf("the host directory %s got entries through a symlink: %v", f.hostDir, ents)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("Prepare %v, Finalize %v (%d mounts inside)", rep.Prepare, rep.Finalize, len(rep.Mounts))
			f.checkReport(t, rep, spec, req.Sysctl, v.hostID != 0, devPath, major, minor)
		})
	}
}

func (f *fixture) checkReport(t *testing.T, rep *helperReport, spec *specs.Spec, sysctls map[string]string, remapped bool, devPath string, major, minor uint32) {
	t.Helper()
	if rep.Cwd != "/" {
		t.Errorf("cwd after Prepare = %q, want /", rep.Cwd)
	}
	mounts := map[string]mountInfo{}
	for _, m := range rep.Mounts {
		mounts[m.Mountpoint] = m // the last one at a path is the visible one
	}
	for _, want := range []struct{ mp, fstype string }{
		{"/proc", "proc"}, {"/dev", "tmpfs"}, {"/dev/pts", "devpts"}, {"/dev/shm", "tmpfs"}, {"/dev/mqueue", "mqueue"},
		{"/sys/fs/cgroup", ""}, {"/rw", "tmpfs"}, {"/etc/seeded", "tmpfs"},
		// Inside the container, where the hostile links really point.
		{f.hostDir + "/mnt", ""}, {f.hostDir + "/rel", "tmpfs"}, {"/etc/minictr-rootfs-test", "tmpfs"},
	} {
		m, ok := mounts[want.mp]
		if !ok {
			t.Errorf("no mount at %s inside the container", want.mp)
			continue
		}
		if want.fstype != "" && m.FSType != want.fstype {
			t.Errorf("mount at %s is %s, want %s", want.mp, m.FSType, want.fstype)
		}
	}
	if m, ok := mounts["/sys"]; !ok || !hasOpt(m.Options, "ro") {
		t.Errorf("/sys not mounted read-only: %+v", m)
	}
	if m := mounts["/data"]; !hasOpt(m.Options, "ro") || !hasOpt(m.Options, "nosuid") || !hasOpt(m.Options, "nodev") {
		t.Errorf("/data options %q, want ro,nosuid,nodev", m.Options)
	}
	if m := mounts["/dev/pts"]; !strings.Contains(m.Super, "ptmxmode=666") || !hasOpt(m.Options, "noexec") {
		t.Errorf("/dev/pts options %q super %q", m.Options, m.Super)
	}
	for _, p := range []string{"/proc/sys", "/proc/bus"} {
		if m, ok := mounts[p]; !ok || !hasOpt(m.Options, "ro") || !hasOpt(m.Options, "nosuid") || !hasOpt(m.Options, "nodev") || !hasOpt(m.Options, "noexec") {
			t.Errorf("readonly path %s: mount %+v, want ro and nosuid,nodev,noexec kept", p, m)
		}
	}
	if m := mounts["/"]; !hasOpt(m.Options, "ro") {
		t.Errorf("root not read-only: %+v", m)
	}
	switch root := mounts["/"]; spec.Linux.RootfsPropagation {
	case "shared":
		if !root.shared() {
			t.Errorf("rootfsPropagation shared: / is %v", root.Optional)
		}
	default: // slave or private: nothing the container mounts under / may reach a peer
		if root.shared() {
			t.Errorf("rootfsPropagation %q: / has propagation %v, want not shared", spec.Linux.RootfsPropagation, root.Optional)
		}
	}
	for _, c := range []string{"memory", "cpu", "pids"} {
		if _, err := os.Stat("/sys/fs/cgroup/" + c); err != nil {
			continue // not a v1 controller here
		}
		if m, ok := mounts["/sys/fs/cgroup/"+c]; !ok || m.FSType != "cgroup" || !hasOpt(m.Options, "ro") {
			t.Errorf("cgroup v1 %s: mount %+v, want a read-only cgroup mount", c, m)
		}
	}
	for _, m := range rep.Mounts {
		if m.Mountpoint == "/proc/does-not-exist" || m.Mountpoint == "/proc/does-not-exist-either" {
			t.Errorf("a missing masked/readonly path was mounted: %+v", m)
		}
	}
	// Devices.
	for _, d := range []struct {
		path         string
		major, minor uint32
	}{{"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7}, {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}, {devPath, major, minor}} {
		fr := rep.Files[d.path]
		if !fr.Exists || fr.Mode&unix.S_IFMT != unix.S_IFCHR || fr.Major != d.major || fr.Minor != d.minor {
			t.Errorf("device %s: %+v, want char %d:%d", d.path, fr, d.major, d.minor)
		}
	}
	if fr := rep.Files["/dev/null"]; fr.Mode&0o777 != 0o666 || fr.WriteErr != "" {
		t.Errorf("/dev/null mode %o write %q, want 666 and writable", fr.Mode&0o777, fr.WriteErr)
	}
	if !nsNew(spec.Linux.Namespaces, specs.UserNamespace) {
		if fr := rep.Files[devPath]; fr.Mode&0o777 != 0o620 {
			t.Errorf("%s mode %o, want 620 from the spec", devPath, fr.Mode&0o777)
		}
	}
	if fr := rep.Files["/dev/console"]; !fr.Exists || fr.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Errorf("/dev/console: %+v, want an empty regular file (terminal: true)", fr)
	}
	wantLinks := map[string]string{"/dev/ptmx": "pts/ptmx", "/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
		"/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2", "/etc/seeded/link": "seed"}
	if _, err := os.Lstat("/proc/kcore"); err == nil {
		wantLinks["/dev/core"] = "/proc/kcore"
	}
	for p, want := range wantLinks {
		if got := rep.Links[p]; got != want {
			t.Errorf("readlink %s = %q, want %q", p, got, want)
		}
	}
	// Read-only things refuse writes, writable ones take them.
	if m := mounts["/rro"]; !hasOpt(m.Options, "ro") || !hasOpt(m.Options, "noexec") {
		t.Errorf("/rro (rbind, rro, rnoexec) mounted with %q", m.Options)
	}
	for _, p := range []string{"/", "/data", "/rro", "/etc/hostfile", "/proc/sys/kernel/hostname"} {
		fr := rep.Files[p]
		// With shifted ids, a file owned by the host's root is refused (EACCES) before the
		// kernel looks at the mount; its mount flags are checked below instead.
		if fr.WriteErr != "EROFS" && !(remapped && fr.WriteErr == "EACCES") {
			t.Errorf("write to %s: %q, want EROFS", p, fr.WriteErr)
		}
	}
	if m := mounts["/etc/hostfile"]; !hasOpt(m.Options, "ro") {
		t.Errorf("/etc/hostfile (bind, ro) mounted with %q", m.Options)
	}
	for _, p := range []string{"/rw", "/dev/shm"} {
		if fr := rep.Files[p]; fr.WriteErr != "" {
			t.Errorf("write to %s: %q, want it to work", p, fr.WriteErr)
		}
	}
	// Masked paths read empty where the host has them.
	for _, p := range maskedPaths {
		if _, err := os.Lstat(p); err != nil {
			if rep.Files[p].Exists {
				t.Errorf("masked path %s missing on the host but present inside", p)
			}
			continue
		}
		if got := rep.Reads[p]; got != "" {
			t.Errorf("masked path %s reads %q, want empty", p, got)
		}
		if fr := rep.Files[p]; fr.WriteErr == "" && fr.Mode&unix.S_IFMT == unix.S_IFDIR {
			t.Errorf("masked directory %s is writable", p)
		}
	}
	for p, want := range map[string]string{"/data/marker": "data", "/evilabs/mnt/marker": "data", "/etc/seeded/seed": "seed", "/etc/hostfile": "hostfile"} {
		if got := rep.Reads[p]; got != want {
			t.Errorf("read %s = %q, want %q", p, got, want)
		}
	}
	for k, want := range sysctls {
		if got := rep.Sysctl[k]; got != want {
			t.Errorf("%s = %q after WriteSysctls, want %q", k, got, want)
		}
	}
	// After exec: a shell started after Finalize sees the same.
	if rep.ScriptErr != "" {
		t.Errorf("script: %s\n%s", rep.ScriptErr, rep.Script)
	}
	for _, want := range []string{"sysctl-denied", "root-denied", "rw-ok", "rootfs-test"} {
		if !strings.Contains(rep.Script, want) {
			t.Errorf("script output lacks %q:\n%s", want, rep.Script)
		}
	}
	for _, line := range strings.Split(rep.Script, "\n") {
		rest, ok := strings.CutPrefix(line, "masked:")
		if k, v, _ := strings.Cut(rest, ":"); ok && v != "0" {
			t.Errorf("after exec, masked path %s shows %s bytes of listing/content", k, v)
		}
	}
	if ents := rep.Reads["/sys/firmware"]; ents != "" {
		t.Errorf("/sys/firmware lists %q", ents)
	}
}

func hasOpt(opts, o string) bool { return slices.Contains(strings.Split(opts, ","), o) }

// TestMountDestinationSwapRace is the CVE-2021-30465 shape: the mount point is swapped for a
// symlink to a host directory after it was created and before the mount. The mount must land on
// the directory that was created (now at its new name), never on the host directory.
func TestMountDestinationSwapRace(t *testing.T) {
	f := newFixture(t)
	spec := &specs.Spec{
		Root:   &specs.Root{Path: "rootfs"},
		Mounts: []specs.Mount{{Destination: "/racy", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}}},
		Linux:  &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}}},
	}
	before := hostMounts(t)
	rep, err := runHelperProcess(t, &helperRequest{Spec: spec, Bundle: f.bundle, Rootfs: f.rootfs, RaceDest: "/racy", RaceTo: f.hostDir}, false, 0, os.Args[0])
	checkHostMountsUnchanged(t, before, f)
	if err != nil {
		t.Fatal(err)
	}
	var onOrig bool
	for _, m := range rep.Mounts {
		if m.Mountpoint == f.hostDir || strings.HasPrefix(m.Mountpoint, f.hostDir+"/") {
			t.Errorf("the swapped-in symlink redirected the mount to the host path: %+v", m)
		}
		onOrig = onOrig || m.Mountpoint == filepath.Join(f.rootfs, "racy.orig")
	}
	if !onOrig {
		t.Errorf("the tmpfs is not on the directory created for it (now racy.orig); mounts: %+v", rep.Mounts)
	}
	// The swap is also noticed: the destination no longer leads to the new mount.
	if !strings.Contains(rep.PrepareErr, "verify") {
		t.Errorf("Prepare error = %q, want the verification to notice the swap", rep.PrepareErr)
	}
}
