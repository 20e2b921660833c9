package rootfs

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A "cgroup" spec mount becomes the container's view of its own cgroups:
//
//   - cgroup v2 (unified host): with a new cgroup namespace, a fresh cgroup2 mount (the namespace
//     makes its root the container's cgroup); without one, a bind of the container's own cgroup
//     directory, so the container never sees its siblings.
//   - cgroup v1: a tmpfs at the destination, then one entry per host hierarchy (cpu, memory,
//     name=systemd...), each a fresh cgroup mount with a new cgroup namespace or a bind of the
//     container's directory in that hierarchy without one; co-mounted controllers ("cpu,cpuacct")
//     also get a symlink per controller. The tmpfs is made read-only last if the mount asks.
//
// The process is already in its cgroup, so /proc/self/cgroup gives its paths.

// cgroupLine is one line of /proc/self/cgroup: "4:memory:/minictr/x" or "0::/minictr/x".
type cgroupLine struct {
	controllers []string // empty for the v2 line
	path        string
}

func readSelfCgroup() ([]cgroupLine, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	defer f.Close()
	var out []cgroupLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		l := cgroupLine{path: parts[2]}
		if parts[1] != "" {
			l.controllers = strings.Split(parts[1], ",")
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// cgroupPathFor finds the container's path in the hierarchy mounted with super options super:
// the /proc/self/cgroup line whose controllers all appear there (v2: the line with none).
func cgroupPathFor(lines []cgroupLine, fstype, super string) (string, bool) {
	opts := map[string]bool{}
	for _, o := range strings.Split(super, ",") {
		opts[o] = true
	}
	for _, l := range lines {
		if fstype == "cgroup2" {
			if len(l.controllers) == 0 {
				return l.path, true
			}
			continue
		}
		if len(l.controllers) == 0 {
			continue
		}
		all := true
		for _, c := range l.controllers {
			all = all && opts[c]
		}
		if all {
			return l.path, true
		}
	}
	return "", false
}

func (s *setup) mountCgroup(i int, m *specs.Mount, o *mountOpts) error {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return mountErr(i, m, "statfs /sys/fs/cgroup", err)
	}
	lines, err := readSelfCgroup()
	if err != nil {
		return mountErr(i, m, "find own cgroup", err)
	}
	flags := o.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		p, _ := cgroupPathFor(lines, "cgroup2", "")
		return s.cgroupEntry(i, m, m.Destination, "cgroup2", "", filepath.Join("/sys/fs/cgroup", p), flags)
	}
	mi, err := readMountinfo()
	if err != nil {
		return mountErr(i, m, "list host cgroup mounts", err)
	}
	dst, err := s.root.mkdirAll(m.Destination, 0o755, false)
	if err != nil {
		return mountErr(i, m, "create mount point", err)
	}
	defer dst.Close()
	// The tmpfs is writable while the entries are created in it; ro comes at the end.
	if err := mount("tmpfs", fdPath(dst), "tmpfs", flags&^unix.MS_RDONLY, "mode=755"); err != nil {
		return mountErr(i, m, "mount tmpfs for cgroup v1", err)
	}
	tmp, err := s.reopenMounted(dst, m.Destination)
	if err != nil {
		return mountErr(i, m, "verify", err)
	}
	defer tmp.Close()
	for _, h := range mi {
		if (h.FSType != "cgroup" && h.FSType != "cgroup2") || path.Dir(h.Mountpoint) != "/sys/fs/cgroup" {
			continue
		}
		name := path.Base(h.Mountpoint)
		p, ok := cgroupPathFor(lines, h.FSType, h.Super)
		if !ok {
			continue
		}
		rel, err := filepath.Rel(h.Root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = "." // the hierarchy's root is not above the process's cgroup: bind what is there
		}
		var data string
		if h.FSType == "cgroup" {
			data = cgroupControllerOpts(h.Super)
		}
		if s.cgroupns {
			// The hierarchy's own mount, in a directory made straight in the tmpfs just
			// mounted (nothing of the container has run, so no path in it needs resolving).
			if err := mountInDir(tmp, name, h.FSType, flags, data); err != nil {
				return mountErr(i, m, fmt.Sprintf("mount %s (%s) at %s", h.FSType, data, path.Join(m.Destination, name)), err)
			}
		} else if err := s.cgroupEntry(i, m, path.Join(m.Destination, name), h.FSType, data, filepath.Join(h.Mountpoint, rel), flags); err != nil {
			return err
		}
		if strings.Contains(name, ",") {
			for _, c := range strings.Split(name, ",") {
				if err := unix.Symlinkat(name, int(tmp.Fd()), c); err != nil && err != unix.EEXIST {
					return mountErr(i, m, "symlink "+c+" -> "+name, err)
				}
			}
		}
	}
	if flags&unix.MS_RDONLY != 0 {
		if err := mount("", fdPath(tmp), "", flags|unix.MS_REMOUNT, "mode=755"); err != nil {
			return mountErr(i, m, "remount cgroup tmpfs read-only", err)
		}
	}
	return s.afterMount(i, m, o, tmp)
}

// mountInDir makes directory name in dir (one component) and mounts fstype on it, through a
// descriptor opened without following symlinks.
func mountInDir(dir *os.File, name, fstype string, flags uintptr, data string) error {
	if err := unix.Mkdirat(int(dir.Fd()), name, 0o755); err != nil && err != unix.EEXIST {
		return err
	}
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	return mount(fstype, fdPath(f), fstype, flags, data)
}

// cgroupControllerOpts keeps, of a v1 hierarchy's super options, what names its controllers.
func cgroupControllerOpts(super string) string {
	var keep []string
	for _, o := range strings.Split(super, ",") {
		switch {
		case o == "rw" || o == "ro" || o == "clone_children" || o == "noprefix" || o == "xattr":
		case strings.HasPrefix(o, "release_agent="):
		default:
			keep = append(keep, o)
		}
	}
	return strings.Join(keep, ",")
}

// cgroupEntry mounts one hierarchy at dest: a fresh mount in a new cgroup namespace, a bind of
// the host directory hostDir otherwise.
func (s *setup) cgroupEntry(i int, m *specs.Mount, dest, fstype, data, hostDir string, flags uintptr) error {
	if s.cgroupns {
		dst, err := s.root.mkdirAll(dest, 0o755, false)
		if err != nil {
			return mountErr(i, m, "create mount point "+dest, err)
		}
		defer dst.Close()
		if err := mount(fstype, fdPath(dst), fstype, flags, data); err != nil {
			return mountErr(i, m, fmt.Sprintf("mount %s (%s) at %s", fstype, data, dest), err)
		}
		return nil
	}
	bm := &specs.Mount{Destination: dest, Source: hostDir, Type: "bind"}
	return s.mountBind(i, bm, &mountOpts{flags: flags | unix.MS_BIND | unix.MS_REC})
}
