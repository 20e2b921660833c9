package snapshot

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// maxMountData is what mount(2) takes as its data argument (one page).
const maxMountData = 4096 - 1

// MountOverlay mounts an overlay at target: lowers (bottom layer first) below upper, with
// work as overlay's work directory.
func MountOverlay(target string, lowers []string, upper, work string) error {
	if len(lowers) == 0 {
		return fmt.Errorf("mount overlay at %s: no layers", target)
	}
	for _, p := range append(append([]string{}, lowers...), upper, work) {
		if strings.ContainsAny(p, ":,\\") {
			return fmt.Errorf("mount overlay at %s: path %q has a ':', ',' or '\\', which overlay options cannot carry", target, p)
		}
	}
	top := make([]string, len(lowers))
	for i, l := range lowers {
		top[len(lowers)-1-i] = l
	}
	data := "lowerdir=" + strings.Join(top, ":") + ",upperdir=" + upper + ",workdir=" + work
	if len(data) <= maxMountData {
		if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
			return fmt.Errorf("mount overlay at %s (%d layers): %w", target, len(lowers), err)
		}
		return nil
	}
	// Too many layers for one page of options: the new mount API takes them one by one
	// (lowerdir+, Linux 6.8+).
	return mountOverlayFsconfig(target, top, upper, work)
}

func mountOverlayFsconfig(target string, top []string, upper, work string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("mount overlay at %s: fsopen: %w", target, err)
	}
	defer unix.Close(fsfd)
	for _, l := range top {
		if err := unix.FsconfigSetString(fsfd, "lowerdir+", l); err != nil {
			return fmt.Errorf("mount overlay at %s: fsconfig lowerdir+ %s: %w", target, l, err)
		}
	}
	if err := unix.FsconfigSetString(fsfd, "upperdir", upper); err != nil {
		return fmt.Errorf("mount overlay at %s: fsconfig upperdir %s: %w", target, upper, err)
	}
	if err := unix.FsconfigSetString(fsfd, "workdir", work); err != nil {
		return fmt.Errorf("mount overlay at %s: fsconfig workdir %s: %w", target, work, err)
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("mount overlay at %s: fsconfig create (%d layers): %w", target, len(top), err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("mount overlay at %s: fsmount: %w", target, err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount overlay at %s: move_mount: %w", target, err)
	}
	return nil
}

// Unmount unmounts target if something is mounted there (lazily if busy). It is a no-op for
// a directory that is not a mount point or does not exist.
func Unmount(target string) error {
	for i := 0; i < 8; i++ {
		err := unix.Unmount(target, 0)
		switch {
		case err == nil:
			continue // stacked mounts: go on until nothing is left
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY):
			if err := unix.Unmount(target, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
				return fmt.Errorf("unmount %s (lazily): %w", target, err)
			}
			return nil
		default:
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
	return fmt.Errorf("unmount %s: still mounted after 8 unmounts", target)
}

// OverlaySupported says whether the kernel lists the overlay filesystem.
func OverlaySupported() bool {
	b, err := os.ReadFile("/proc/filesystems")
	return err == nil && strings.Contains(string(b), "\toverlay\n")
}
