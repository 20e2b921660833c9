package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// These run after the switch of root, in the container's "/", and still resolve every path
// through the root handle: the container's /proc is mounted by now, so its /proc/self/fd paths
// name the resolved descriptors. If the spec mounted no procfs at /proc the path itself is used;
// after pivot_root it cannot lead out of the container anyway.

// target is the path to hand to mount(2) for a resolved handle.
func target(f *os.File, p string) string {
	var st unix.Statfs_t
	if err := unix.Statfs("/proc/self/fd", &st); err == nil && st.Type == unix.PROC_SUPER_MAGIC {
		return fdPath(f)
	}
	return path.Clean("/" + p)
}

// keptFlags are the per-mount flags a remount must repeat to keep (MS_REMOUNT replaces them
// all, and in a user namespace dropping a locked one is refused).
func keptFlags(f *os.File) (uintptr, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return 0, err
	}
	return uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC |
		unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME), nil
}

// remountReadonly remounts the mount at p (inside r) read-only, keeping its other flags.
func remountReadonly(r *root, p string, extra uintptr) error {
	mnt, err := r.open(p, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, errnoErr(err))
	}
	defer mnt.Close()
	kept, err := keptFlags(mnt)
	if err != nil {
		return fmt.Errorf("statfs %s: %w", p, errnoErr(err))
	}
	flags := unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | kept | extra
	if err := mount("", target(mnt, p), "", flags, ""); err != nil {
		return fmt.Errorf("remount %s read-only (flags %#x): %w", p, flags, errnoErr(err))
	}
	return nil
}

// readonlyPath binds p onto itself (recursively, so mounts below it stay) and makes the new
// mount read-only. A path the container does not have is skipped.
func readonlyPath(r *root, p string) error {
	f, err := r.open(p, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("readonly path %s: open: %w", p, errnoErr(err))
	}
	defer f.Close()
	before, err := mountID(f)
	if err != nil {
		return fmt.Errorf("readonly path %s: statx: %w", p, errnoErr(err))
	}
	t := target(f, p)
	if err := mount(t, t, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("readonly path %s: bind onto itself: %w", p, errnoErr(err))
	}
	mnt, err := r.open(p, 0)
	if err != nil {
		return fmt.Errorf("readonly path %s: reopen: %w", p, errnoErr(err))
	}
	defer mnt.Close()
	if after, err := mountID(mnt); err != nil || after == before {
		return fmt.Errorf("readonly path %s: not a new mount after the bind: %w", p, unix.EXDEV)
	}
	if err := remountReadonly(r, p, 0); err != nil {
		return fmt.Errorf("readonly path %s: %w", p, err)
	}
	return nil
}

// maskPath hides p: /dev/null bound over a file, an empty read-only tmpfs over a directory.
// A path the container does not have is skipped.
func maskPath(r *root, p string) error {
	f, err := r.open(p, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("masked path %s: open: %w", p, errnoErr(err))
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("masked path %s: stat: %w", p, errnoErr(err))
	}
	t := target(f, p)
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := mount("tmpfs", t, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=0"); err != nil {
			return fmt.Errorf("masked path %s: mount read-only tmpfs: %w", p, errnoErr(err))
		}
		return nil
	}
	null, err := r.open("/dev/null", 0)
	if err != nil {
		return fmt.Errorf("masked path %s: open /dev/null: %w", p, errnoErr(err))
	}
	defer null.Close()
	var ns unix.Stat_t
	if err := unix.Fstat(int(null.Fd()), &ns); err != nil || ns.Mode&unix.S_IFMT != unix.S_IFCHR || ns.Rdev != unix.Mkdev(1, 3) {
		return fmt.Errorf("masked path %s: /dev/null in the container is not the null device (1:3): %w", p, unix.ENODEV)
	}
	if err := mount(target(null, "/dev/null"), t, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("masked path %s: bind /dev/null: %w", p, errnoErr(err))
	}
	return nil
}
