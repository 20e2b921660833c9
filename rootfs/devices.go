package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultDevices are the nodes every container gets (runtime-spec "Default Devices"), created
// before the spec's own devices so that a spec entry with the same path wins.
func defaultDevices() []specs.LinuxDevice {
	mode := os.FileMode(0o666)
	dev := func(p string, major, minor int64) specs.LinuxDevice {
		return specs.LinuxDevice{Path: p, Type: "c", Major: major, Minor: minor, FileMode: &mode}
	}
	return []specs.LinuxDevice{
		dev("/dev/null", 1, 3), dev("/dev/zero", 1, 5), dev("/dev/full", 1, 7),
		dev("/dev/random", 1, 8), dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0),
	}
}

func (s *setup) createDevices() error {
	devs := defaultDevices()
	if s.spec.Linux != nil {
		devs = append(devs, s.spec.Linux.Devices...)
	}
	for i := range devs {
		if err := s.createDevice(&devs[i]); err != nil {
			d := &devs[i]
			return fmt.Errorf("create device %s (type %s, %d:%d): %w", d.Path, d.Type, d.Major, d.Minor, errnoErr(err))
		}
	}
	return nil
}

// createDevice makes one node: mknod in the rootfs, or, in a user namespace where mknod is not
// allowed, an empty file with the host's node bind-mounted onto it.
func (s *setup) createDevice(d *specs.LinuxDevice) error {
	var typ uint32
	switch d.Type {
	case "c", "u":
		typ = unix.S_IFCHR
	case "b":
		typ = unix.S_IFBLK
	case "p":
		typ = unix.S_IFIFO
	default:
		return fmt.Errorf("unknown device type %q (want c, u, b or p)", d.Type)
	}
	clean := path.Clean("/" + d.Path)
	if clean == "/" || clean == "/dev" {
		return fmt.Errorf("device path %q is not a file path", d.Path)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(*d.FileMode) & 0o7777
	}
	dir, err := s.root.mkdirAll(path.Dir(clean), 0o755, false)
	if err != nil {
		return err
	}
	defer dir.Close()
	name := path.Base(clean)
	if s.userns {
		return s.bindDevice(dir, name, clean)
	}
	// An existing node of the image is replaced: its numbers and mode are the image's, not the
	// spec's. Unlinking a name in a directory reached through the root handle stays in the root.
	if err := unix.Unlinkat(int(dir.Fd()), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove existing %s: %w", clean, err)
	}
	if err := unix.Mknodat(int(dir.Fd()), name, typ|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))); err != nil {
		return fmt.Errorf("mknod %s: %w", clean, err)
	}
	node, err := openAt(int(dir.Fd()), name, unix.O_PATH, clean)
	if err != nil {
		return err
	}
	defer node.Close()
	// mknod applies the umask; chmod through the descriptor (never following a name).
	if err := unix.Fchmodat(unix.AT_FDCWD, fdPath(node), perm, 0); err != nil {
		return fmt.Errorf("chmod %s %o: %w", clean, perm, err)
	}
	uid, gid := -1, -1
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if uid != -1 || gid != -1 {
		if err := unix.Fchownat(int(node.Fd()), "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
			return fmt.Errorf("chown %s %d:%d: %w", clean, uid, gid, err)
		}
	}
	return nil
}

// bindDevice binds the host's node at hostPath onto an empty file name in dir.
func (s *setup) bindDevice(dir *os.File, name, hostPath string) error {
	// Whatever the image has at that name (a node, a symlink) goes: the bind needs a plain file.
	if err := unix.Unlinkat(int(dir.Fd()), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove existing %s: %w", hostPath, err)
	}
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_CREAT|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o000)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create bind target %s: %w", hostPath, err)
	}
	if err == nil {
		unix.Close(fd)
	}
	node, err := openAt(int(dir.Fd()), name, unix.O_PATH, hostPath)
	if err != nil {
		return err
	}
	defer node.Close()
	src, err := os.OpenFile(hostPath, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open host device %s: %w", hostPath, err)
	}
	defer src.Close()
	if err := mount(fdPath(src), fdPath(node), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind host device %s: %w", hostPath, err)
	}
	return nil
}

// devLinks makes /dev/ptmx point at the devpts instance of the container (pts/ptmx), and the
// /dev/fd, stdin, stdout, stderr (and core, when the kernel has /proc/kcore) links to /proc.
func (s *setup) devLinks() error {
	dev, err := s.root.mkdirAll("/dev", 0o755, false)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer dev.Close()
	if err := unix.Unlinkat(int(dev.Fd()), "ptmx", 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove /dev/ptmx: %w", errnoErr(err))
	}
	links := [][2]string{
		{"pts/ptmx", "ptmx"},
		{"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	}
	if _, err := os.Lstat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	for _, l := range links {
		if err := unix.Symlinkat(l[0], int(dev.Fd()), l[1]); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink /dev/%s -> %s: %w", l[1], l[0], errnoErr(err))
		}
	}
	return nil
}

// consoleFile creates /dev/console as an empty file (mode 0666); the runtime binds the pty
// onto it. A node the image shipped there is replaced.
func (s *setup) consoleFile() error {
	dev, err := s.root.mkdirAll("/dev", 0o755, false)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer dev.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(dev.Fd()), "console", &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
		if err := unix.Unlinkat(int(dev.Fd()), "console", 0); err != nil {
			return fmt.Errorf("remove /dev/console: %w", errnoErr(err))
		}
	}
	fd, err := unix.Openat(int(dev.Fd()), "console", unix.O_CREAT|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", errnoErr(err))
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, 0o666); err != nil {
		return fmt.Errorf("chmod /dev/console: %w", errnoErr(err))
	}
	return nil
}
