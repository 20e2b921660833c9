package unpack

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

var (
	openat2Once sync.Once
	openat2OK   bool
)

// haveOpenat2 says whether the kernel has openat2 (Linux 5.6+).
func haveOpenat2() bool {
	openat2Once.Do(func() {
		fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC})
		if err == nil {
			unix.Close(fd)
		}
		openat2OK = !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM)
	})
	return openat2OK
}

// openInRoot opens dir (relative to root) as an O_PATH directory descriptor, resolving symlinks
// as if root were "/". rootPath is used only without openat2.
func openInRoot(rootFd int, rootPath, dir string, useOpenat2 bool) (int, error) {
	if useOpenat2 {
		how := &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
		}
		for i := 0; ; i++ {
			fd, err := unix.Openat2(rootFd, dir, how)
			if errors.Is(err, unix.EAGAIN) && i < 16 {
				continue // a concurrent rename; the kernel asks us to retry
			}
			return fd, err
		}
	}
	p, err := securejoin.SecureJoin(rootPath, dir)
	if err != nil {
		return -1, err
	}
	return unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

// resolveDir opens root-relative dir; the caller closes the result unless it is x.rootf.
func (x *extractor) resolveDir(dir string) (int, error) {
	if dir == "" || dir == "." {
		return x.rootf, nil
	}
	return openInRoot(x.rootf, x.root, dir, x.openat2)
}

// removeAt removes name (whose last component base is in pfd) and everything below it.
func (x *extractor) removeAt(pfd int, name, base string) error {
	if x.cacheFd >= 0 && (x.cacheName == name || strings.HasPrefix(x.cacheName, name+"/")) {
		x.dropCache()
	}
	return removeAll(pfd, base, 0)
}

func removeAll(pfd int, base string, depth int) error {
	err := unix.Unlinkat(pfd, base, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("remove %s: %w", base, err)
	}
	if depth > maxPath/2 {
		return fmt.Errorf("remove %s: directories nested too deep", base)
	}
	names, dfd, err := readDir(pfd, base)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := removeAll(dfd, n, depth+1); err != nil {
			unix.Close(dfd)
			return err
		}
	}
	unix.Close(dfd)
	if err := unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove directory %s: %w", base, err)
	}
	return nil
}

// readDir lists directory base in pfd (never following a symlink) and returns an open
// descriptor of it.
func readDir(pfd int, base string) ([]string, int, error) {
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, -1, fmt.Errorf("open directory %s: %w", base, err)
	}
	dup, err := unix.Dup(fd)
	if err != nil {
		unix.Close(fd)
		return nil, -1, fmt.Errorf("dup: %w", err)
	}
	f := os.NewFile(uintptr(dup), base)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		unix.Close(fd)
		return nil, -1, fmt.Errorf("read directory %s: %w", base, err)
	}
	return names, fd, nil
}

// setOpaque marks directory base in pfd opaque for overlay.
func (x *extractor) setOpaque(pfd int, base string) error {
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fsetxattr(fd, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		return fmt.Errorf("set trusted.overlay.opaque=y: %w", err)
	}
	return nil
}

// opaque handles the marker ".wh..wh..opq" in directory dir.
func (x *extractor) opaque(entry, dir string) error {
	if x.opts.Whiteouts == OverlayWhiteouts {
		// The marker may come before the directory's own entry: create it now; the entry, if
		// any, then merges into it.
		var pfd int
		var base string
		if dir == "" {
			pfd, base = x.rootf, "."
		} else {
			parentDir, b := path.Split(dir)
			var err error
			if pfd, err = x.parent(strings.TrimSuffix(parentDir, "/")); err != nil {
				return &EntryError{entry, "open parent", err}
			}
			base = b
			var st unix.Stat_t
			if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); errors.Is(err, unix.ENOENT) {
				if err := unix.Mkdirat(pfd, base, 0o755); err != nil {
					return &EntryError{entry, "create directory " + dir, err}
				}
				if len(x.opts.Lowers) > 0 {
					x.implicit = append(x.implicit, dir)
					x.implicitSet[dir] = true
				}
			} else if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return &EntryError{entry, "opaque marker", fmt.Errorf("%q is not a directory", dir)}
			}
		}
		if err := x.setOpaque(pfd, base); err != nil {
			return &EntryError{entry, "mark " + dir + " opaque", err}
		}
		return nil
	}
	// Apply mode: remove what the layers below put in dir, keep what this layer created.
	dfd, err := x.resolveDir(dir)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &EntryError{entry, "open directory " + dir, err}
	}
	if dfd != x.rootf {
		defer unix.Close(dfd)
	}
	if err := x.removeExcept(dfd, dir, 0); err != nil {
		return &EntryError{entry, "clear directory " + dir, err}
	}
	return nil
}

// removeExcept removes the children of directory dir (open as dfd) that this layer did not
// create, recursing into the ones it did.
func (x *extractor) removeExcept(dfd int, dir string, depth int) error {
	if depth > maxPath/2 {
		return fmt.Errorf("directories nested too deep")
	}
	x.dropCache()
	names, fd, err := readDir(dfd, ".")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, n := range names {
		full := path.Join(dir, n)
		if !x.created[full] {
			if err := removeAll(fd, n, 0); err != nil {
				return err
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			cfd, err := unix.Openat(fd, n, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			err = x.removeExcept(cfd, full, depth+1)
			unix.Close(cfd)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// whiteout handles ".wh.TARGET" in directory dir.
func (x *extractor) whiteout(entry, dir, target string) error {
	full := path.Join(dir, target)
	if x.opts.Whiteouts == OverlayWhiteouts {
		pfd, err := x.parent(dir)
		if err != nil {
			return &EntryError{entry, "open parent", err}
		}
		var st unix.Stat_t
		err = unix.Fstatat(pfd, target, &st, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case errors.Is(err, unix.ENOENT):
			if err := unix.Mknodat(pfd, target, unix.S_IFCHR, 0); err != nil {
				return &EntryError{entry, "create overlay whiteout " + full, err}
			}
		case err != nil:
			return &EntryError{entry, "stat " + full, err}
		case st.Mode&unix.S_IFMT == unix.S_IFDIR:
			// This layer has its own directory of that name: it replaces the one below.
			if err := x.setOpaque(pfd, target); err != nil {
				return &EntryError{entry, "mark " + full + " opaque", err}
			}
		default:
			// This layer's own file already hides the one below.
		}
		return nil
	}
	pfd, err := x.resolveDir(dir)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return &EntryError{entry, "open parent", err}
	}
	if pfd != x.rootf {
		defer unix.Close(pfd)
	}
	if x.created[full] {
		var st unix.Stat_t
		if unix.Fstatat(pfd, target, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			cfd, err := unix.Openat(pfd, target, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return &EntryError{entry, "open " + full, err}
			}
			defer unix.Close(cfd)
			if err := x.removeExcept(cfd, full, 0); err != nil {
				return &EntryError{entry, "clear directory " + full, err}
			}
		}
		return nil
	}
	if err := x.removeAt(pfd, full, target); err != nil {
		return &EntryError{entry, "remove " + full, err}
	}
	return nil
}

// copyLowerAttrs gives implicit directory d the owner, mode and times of the same directory in
// the topmost lower layer that has it.
func (x *extractor) copyLowerAttrs(d string) error {
	if x.lowerFds == nil {
		x.lowerFds = make([]int, len(x.opts.Lowers))
		for i, l := range x.opts.Lowers {
			fd, err := unix.Open(l, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				fd = -1
			}
			x.lowerFds[i] = fd
		}
	}
	dir, base := path.Split(d)
	dir = strings.TrimSuffix(dir, "/")
	for i, lfd := range x.lowerFds {
		if lfd < 0 {
			continue
		}
		var pfd int
		var err error
		if dir == "" {
			pfd = lfd
		} else if pfd, err = openInRoot(lfd, x.opts.Lowers[i], dir, x.openat2); err != nil {
			continue
		}
		var st unix.Stat_t
		err = unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if pfd != lfd {
			unix.Close(pfd)
		}
		if err != nil {
			continue
		}
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0 {
			return nil // whited out below: a new directory, keep 0755
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return nil
		}
		tfd, err := x.resolveDir(dir)
		if err != nil {
			return &EntryError{d, "open parent", err}
		}
		defer func() {
			if tfd != x.rootf {
				unix.Close(tfd)
			}
		}()
		if !x.opts.NoSameOwner {
			if err := unix.Fchownat(tfd, base, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return &EntryError{d, "chown like the lower layer", err}
			}
		}
		if err := unix.Fchmodat(tfd, base, st.Mode&0o7777, 0); err != nil {
			return &EntryError{d, "chmod like the lower layer", err}
		}
		ts := []unix.Timespec{st.Atim, st.Mtim}
		if err := unix.UtimesNanoAt(tfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &EntryError{d, "set times like the lower layer", err}
		}
		return nil
	}
	return nil
}
