package rootfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// switchRoot makes the rootfs the process's "/" and its working directory "/".
func (s *setup) switchRoot() error {
	if s.c.NoPivot {
		return moveRoot(s.rootfs)
	}
	return pivotRoot(s.rootfs)
}

// pivotRoot uses pivot_root(".", "."): with the new root as working directory, the old root is
// stacked on top of the new one at the same place, so no put_old directory is needed in the
// image (which may be read-only). The old root is then detached from "." - but made rslave first,
// so the unmount of its tree never propagates to the host's mounts.
func pivotRoot(rootfs string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open old root /: %w", errnoErr(err))
	}
	defer unix.Close(oldroot)
	newroot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open new root %s: %w", rootfs, errnoErr(err))
	}
	defer unix.Close(newroot)
	if err := unix.Fchdir(newroot); err != nil {
		return fmt.Errorf("pivot_root: chdir %s: %w", rootfs, errnoErr(err))
	}
	err = unix.PivotRoot(".", ".")
	if err == unix.EINVAL {
		// The old root mount is shared (rootfsPropagation "shared" keeps "/" a peer of the
		// host's), which pivot_root refuses. Making only that one mount private changes no
		// peer group of the mounts already made in the rootfs.
		if perr := mount("", "/", "", unix.MS_PRIVATE, ""); perr == nil {
			err = unix.PivotRoot(".", ".")
		}
	}
	if err != nil {
		return fmt.Errorf("pivot_root(%s): %w", rootfs, errnoErr(err))
	}
	// "." is now the old root, on top; step onto it to detach it.
	if err := unix.Fchdir(oldroot); err != nil {
		return fmt.Errorf("pivot_root: chdir old root: %w", errnoErr(err))
	}
	if err := mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("pivot_root: make old root rslave: %w", errnoErr(err))
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("pivot_root: detach old root: %w", errnoErr(err))
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("pivot_root: chdir /: %w", errnoErr(err))
	}
	return nil
}

// moveRoot is --no-pivot (a rootfs on a ramfs/initramfs, where pivot_root is refused): the rootfs
// mount is moved over "/" and the process chroots into it. The host's tree stays underneath,
// reachable to anything that escapes the chroot, which is why pivot_root is the default.
func moveRoot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("move root: chdir %s: %w", rootfs, errnoErr(err))
	}
	if err := mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move root: move mount %s to /: %w", rootfs, errnoErr(err))
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("move root: chroot %s: %w", rootfs, errnoErr(err))
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("move root: chdir /: %w", errnoErr(err))
	}
	return nil
}
