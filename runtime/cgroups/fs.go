package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// op is one control-file write: the shared unit that the v1 and v2 resource converters produce
// and that runOps executes.
type op struct {
	step  string // what the write does, for the error: "set memory limit"
	ctrl  string // controller: picks the directory on v1, names the missing controller on v2
	file  string // control file name, e.g. "memory.limit_in_bytes"
	value string
}

// dirFunc maps a controller to its directory ("" and false when it is not available).
type dirFunc func(ctrl string) (string, bool)

// runOps executes ops in order; the first failure stops and is returned with the step, path and
// value.
func runOps(dirOf dirFunc, ops []op) error {
	for _, o := range ops {
		dir, ok := dirOf(o.ctrl)
		if !ok {
			return fmt.Errorf("%s: write %s = %s: controller %q is not available on this host", o.step, o.file, o.value, o.ctrl)
		}
		if err := writeFile(dir, o.file, o.value); err != nil {
			return fmt.Errorf("%s: %w", o.step, err)
		}
	}
	return nil
}

// writeFile writes value to dir/file (which must exist: control files are never created). The
// error reads "write PATH = VALUE: errno"; a missing file says which controller lacks it.
// Plain system calls, not os.File: a container's create writes a dozen of these, and an
// os.File's open adds four more calls each (non-blocking mode, the poller) for nothing here.
func writeFile(dir, file, value string) error {
	p := filepath.Join(dir, file)
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write %s = %s: control file missing (controller not enabled, or not supported by this kernel): %w", p, value, err)
		}
		return fmt.Errorf("write %s = %s: %w", p, value, err)
	}
	n, werr := unix.Write(fd, []byte(value))
	cerr := unix.Close(fd)
	if werr == nil && n != len(value) {
		werr = fmt.Errorf("short write: %d of %d bytes", n, len(value))
	}
	if werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s = %s: %w", p, value, werr)
	}
	return nil
}

// unwrapErrno drops the *PathError wrapper (our message already has the path) but keeps the
// errno for errors.Is.
func unwrapErrno(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFile returns dir/file trimmed of surrounding white space.
func readFile(dir, file string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// readUint reads a number; "max" and v1's "unlimited" sentinel (>= 2^62) read as 0 with
// unlimited=true.
func readUint(dir, file string) (v uint64, unlimited bool, err error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, false, err
	}
	return parseUint(s)
}

func parseUint(s string) (uint64, bool, error) {
	if s == "max" || s == "-1" {
		return 0, true, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("parse %q: %w", s, err)
	}
	if v >= 1<<62 {
		return 0, true, nil
	}
	return v, false, nil
}

// readKeyed parses "key value" lines (memory.stat, cpu.stat, memory.events, oom_control).
func readKeyed(dir, file string) (map[string]uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			out[f[0]] = v
		}
	}
	return out, nil
}

// readProcs reads the pids listed in dir/cgroup.procs.
func readProcs(dir string) ([]int, error) {
	s, err := readFile(dir, "cgroup.procs")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(s) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %q: %w", filepath.Join(dir, "cgroup.procs"), f, err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// treePids lists the processes of dir and every descendant cgroup.
func treePids(dir string) ([]int, error) {
	var out []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil // a child cgroup removed while we walk
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		pids, err := readProcs(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dir {
				return nil
			}
			return err
		}
		out = append(out, pids...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pids of %s: %w", dir, err)
	}
	return out, nil
}

// destroyWait bounds how long one Destroy waits for exiting processes to leave (EBUSY).
var destroyWait = 3 * time.Second

// removeTree removes the cgroup dir and its descendant cgroups, deepest first. rmdir is the
// only removal used (a cgroup directory's control files go with it; a non-cgroup directory that
// holds files is never emptied). EBUSY (processes still exiting) is retried until deadline. A
// missing dir is success.
func removeTree(dir string, deadline time.Time) error {
	// The usual case, a leaf cgroup whose processes are gone, needs no directory walk.
	if err := unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := rmdirRetry(dirs[i], deadline); err != nil {
			return err
		}
	}
	return nil
}

func rmdirRetry(dir string, deadline time.Time) error {
	delay := 5 * time.Millisecond
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
