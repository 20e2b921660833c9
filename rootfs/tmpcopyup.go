package rootfs

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// tmpcopyup (an option of crun and runc, not of the spec): a tmpfs mounted over a directory of the
// image starts with a copy of what the directory held. The copy reads through a descriptor opened
// before the mount, so it sees the covered directory, and works on descriptors only (*at calls,
// O_NOFOLLOW), so a symlink in the image is copied as a symlink and never followed.

const maxCopyDepth = 64

func reopenDir(f *os.File) (*os.File, error) {
	return os.OpenFile(fdPath(f), os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

// copyTree copies the content of directory src into directory dst (both open descriptors), and
// the mode and owner of src onto dst.
func copyTree(src, dst *os.File, depth int) error {
	if depth > maxCopyDepth {
		return fmt.Errorf("copy %s: deeper than %d levels", src.Name(), maxCopyDepth)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return fmt.Errorf("stat %s: %w", src.Name(), err)
	}
	if err := unix.Fchownat(int(dst.Fd()), "", int(st.Uid), int(st.Gid), unix.AT_EMPTY_PATH); err != nil {
		return fmt.Errorf("chown copy of %s: %w", src.Name(), err)
	}
	if err := unix.Fchmodat(unix.AT_FDCWD, fdPath(dst), st.Mode&0o7777, 0); err != nil {
		return fmt.Errorf("chmod copy of %s: %w", src.Name(), err)
	}
	names, err := src.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", src.Name(), err)
	}
	for _, name := range names {
		if err := copyEntry(src, dst, name, depth); err != nil {
			return err
		}
	}
	return nil
}

func copyEntry(src, dst *os.File, name string, depth int) error {
	sfd, dfd := int(src.Fd()), int(dst.Fd())
	var st unix.Stat_t
	if err := unix.Fstatat(sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s/%s: %w", src.Name(), name, err)
	}
	perm := st.Mode & 0o7777
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err = unix.Mkdirat(dfd, name, 0o700); err != nil {
			break
		}
		var s, d *os.File
		if s, err = openAt(sfd, name, unix.O_RDONLY|unix.O_DIRECTORY, src.Name()); err != nil {
			break
		}
		defer s.Close()
		if d, err = openAt(dfd, name, unix.O_PATH|unix.O_DIRECTORY, dst.Name()); err != nil {
			break
		}
		defer d.Close()
		return copyTree(s, d, depth+1)
	case unix.S_IFREG:
		err = copyFile(sfd, dfd, name, perm)
	case unix.S_IFLNK:
		var target string
		if target, err = readlinkAt(sfd, name); err == nil {
			err = unix.Symlinkat(target, dfd, name)
		}
	default: // devices, fifos, sockets
		err = unix.Mknodat(dfd, name, st.Mode, int(st.Rdev))
	}
	if err != nil {
		return fmt.Errorf("copy %s/%s: %w", src.Name(), name, err)
	}
	if err := unix.Fchownat(dfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown copy of %s/%s: %w", src.Name(), name, err)
	}
	return nil
}

func openAt(dirfd int, name string, flags int, dirName string) (*os.File, error) {
	fd, err := unix.Openat(dirfd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), dirName+"/"+name), nil
}

func copyFile(sfd, dfd int, name string, perm uint32) error {
	in, err := openAt(sfd, name, unix.O_RDONLY, "")
	if err != nil {
		return err
	}
	defer in.Close()
	ofd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return err
	}
	out := os.NewFile(uintptr(ofd), name)
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return unix.Fchmod(ofd, perm) // the umask may have cut the creation mode
}

func readlinkAt(dirfd int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
