// Command boxinit runs minictr's test binaries inside a guest kernel (see tests/box). The
// initramfs init of vmm/initramfs starts it as its command; boxinit then
//
//  1. moves the system onto a tmpfs root, as switch_root does (pivot_root, which every
//     container start does, is refused while the root is the initramfs itself: rootfs has no
//     parent mount),
//
//  2. mounts /proc, /sys, /dev, /dev/pts, /dev/shm, /tmp, /run and cgroup2 at /sys/fs/cgroup,
//     and enables every controller of the root in cgroup.subtree_control,
//
//  3. runs each suite of the plan (/box/plan.json) in order, its output going to the console,
//     between marker lines that the host parses:
//
//     BOX: suite <name> start
//     BOX: suite <name> exit=<n> elapsed=<duration>
//     BOX: done failed=<number of suites that did not exit 0>
//
// Its exit status is 0 when every suite exited 0. It is built static (CGO_ENABLED=0).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// PlanPath is where the host puts the plan inside the initramfs.
const PlanPath = "/box/plan.json"

// Plan is what the host asks the guest to run (mirrored in tests/box).
type Plan struct {
	Suites []Suite `json:"suites"`
}

// Suite is one test binary run.
type Suite struct {
	Name string   `json:"name"`
	Bin  string   `json:"bin"`
	Dir  string   `json:"dir"`
	Args []string `json:"args"`
	Env  []string `json:"env"`
	// Timeout bounds the suite (a Go duration); the binary is killed after it.
	Timeout string `json:"timeout"`
}

const newRoot = "/newroot"

func main() {
	os.Exit(run())
}

func run() int {
	if err := switchRoot(); err != nil {
		fmt.Printf("BOX: setup failed: %v\n", err)
		return 2
	}
	if err := mountAll(); err != nil {
		fmt.Printf("BOX: setup failed: %v\n", err)
		return 2
	}
	// Keep kernel messages (an OOM kill prints a page of them) off the console the host parses.
	os.WriteFile("/proc/sys/kernel/printk", []byte("1 4 1 7"), 0o644)
	if err := enableControllers("/sys/fs/cgroup"); err != nil {
		fmt.Printf("BOX: setup failed: %v\n", err)
		return 2
	}
	describe()
	data, err := os.ReadFile(PlanPath)
	if err != nil {
		fmt.Printf("BOX: setup failed: %v\n", err)
		return 2
	}
	var plan Plan
	if err := json.Unmarshal(data, &plan); err != nil {
		fmt.Printf("BOX: setup failed: parse %s: %v\n", PlanPath, err)
		return 2
	}
	failed := 0
	for _, s := range plan.Suites {
		if runSuite(s) != 0 {
			failed++
		}
	}
	fmt.Printf("BOX: done failed=%d\n", failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// switchRoot copies the initramfs onto a tmpfs and chroots into it, as switch_root does (the
// files of the initramfs are not freed: they are a few tens of MiB).
func switchRoot() error {
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("tmpfs", newRoot, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", newRoot, err)
	}
	skip := map[string]bool{"newroot": true, "proc": true, "sys": true, "dev": true, "tmp": true, "run": true, "init": true, ".minictr": true}
	err := filepath.WalkDir("/", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == "/" {
			return nil
		}
		rel := path[1:]
		if top, _, _ := strings.Cut(rel, "/"); skip[top] {
			if d.IsDir() {
				os.MkdirAll(filepath.Join(newRoot, top), 0o755)
				return fs.SkipDir
			}
			return nil
		}
		dst := filepath.Join(newRoot, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(dst, info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case info.Mode().IsRegular():
			return copyFile(path, dst, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copy the initramfs to %s: %w", newRoot, err)
	}
	// Move the tmpfs onto / (a chroot alone is not enough: setns into a container's mount
	// namespace, as exec does, starts from the namespace's root mount and follows what is
	// mounted on top of it).
	if err := os.Chdir(newRoot); err != nil {
		return err
	}
	if err := syscall.Mount(".", "/", "", syscall.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s onto /: %w", newRoot, err)
	}
	if err := syscall.Chroot("."); err != nil {
		return fmt.Errorf("chroot %s: %w", newRoot, err)
	}
	return os.Chdir("/")
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func mountAll() error {
	mounts := []struct {
		src, dst, fstype, data string
		flags                  uintptr
	}{
		{"proc", "/proc", "proc", "", syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC},
		{"sysfs", "/sys", "sysfs", "", syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC},
		{"devtmpfs", "/dev", "devtmpfs", "mode=0755", syscall.MS_NOSUID},
		{"devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620", syscall.MS_NOSUID | syscall.MS_NOEXEC},
		{"tmpfs", "/dev/shm", "tmpfs", "mode=1777", syscall.MS_NOSUID | syscall.MS_NODEV},
		{"tmpfs", "/tmp", "tmpfs", "mode=1777", syscall.MS_NOSUID | syscall.MS_NODEV},
		{"tmpfs", "/run", "tmpfs", "mode=0755", syscall.MS_NOSUID | syscall.MS_NODEV},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", "", syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC},
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.dst, 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(m.src, m.dst, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dst, err)
		}
	}
	return nil
}

// enableControllers turns on, in the root's subtree_control, every controller the root has.
func enableControllers(root string) error {
	data, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	if err != nil {
		return err
	}
	for _, c := range strings.Fields(string(data)) {
		p := filepath.Join(root, "cgroup.subtree_control")
		if err := os.WriteFile(p, []byte("+"+c), 0o644); err != nil {
			return fmt.Errorf("enable controller: write %s = +%s: %w", p, c, err)
		}
	}
	return nil
}

func describe() {
	var u syscall.Utsname
	syscall.Uname(&u)
	release := func(b [65]int8) string {
		var s []byte
		for _, c := range b {
			if c == 0 {
				break
			}
			s = append(s, byte(c))
		}
		return string(s)
	}
	ctrl, _ := os.ReadFile("/sys/fs/cgroup/cgroup.subtree_control")
	var si syscall.Sysinfo_t
	syscall.Sysinfo(&si)
	fmt.Printf("BOX: kernel %s, cgroup2 controllers enabled: %s, memory %d MiB\n",
		release(u.Release), strings.TrimSpace(string(ctrl)), uint64(si.Totalram)*uint64(si.Unit)>>20)
}

func runSuite(s Suite) int {
	fmt.Printf("BOX: suite %s start\n", s.Name)
	start := time.Now()
	code := func() int {
		timeout, err := time.ParseDuration(s.Timeout)
		if err != nil || timeout <= 0 {
			timeout = 5 * time.Minute
		}
		cmd := exec.Command(s.Bin, s.Args...)
		cmd.Dir = s.Dir
		cmd.Env = s.Env
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			fmt.Printf("BOX: suite %s: start %s: %v\n", s.Name, s.Bin, err)
			return 127
		}
		timer := time.AfterFunc(timeout, func() {
			fmt.Printf("BOX: suite %s: still running after %s: killed\n", s.Name, timeout)
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		})
		err = cmd.Wait()
		timer.Stop()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		default:
			fmt.Printf("BOX: suite %s: %v\n", s.Name, err)
			return 127
		}
	}()
	fmt.Printf("BOX: suite %s exit=%d elapsed=%s\n", s.Name, code, time.Since(start).Round(time.Millisecond))
	return code
}
