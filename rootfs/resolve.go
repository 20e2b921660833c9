package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// root is an open directory that every path of the container is resolved inside: symlinks,
// ".." and absolute links are all interpreted as if this directory were "/", so nothing a hostile
// image puts in its rootfs can make a lookup leave it.
//
// The kernel does the confinement with openat2(RESOLVE_IN_ROOT); on kernels or seccomp profiles
// without openat2, the path is resolved in user space with securejoin and the result is checked
// after opening (the file the descriptor names must lie under the root).
type root struct {
	dir  *os.File // O_PATH handle of the root directory
	path string   // its absolute path, for messages and the fallback check
}

func openRoot(path string) (*root, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", path, err)
	}
	return &root{dir: os.NewFile(uintptr(fd), path), path: path}, nil
}

func (r *root) close() { r.dir.Close() }

// relative turns a container path ("/proc", "dev/pts", "../../x") into a path relative to the root
// with every ".." already clamped at the root, as the kernel does for "/.." (the lexical part only;
// symlinks are the kernel's job).
func relative(unsafePath string) string {
	rel := strings.TrimPrefix(filepath.Clean("/"+unsafePath), "/")
	if rel == "" {
		return "."
	}
	return rel
}

// resolveFlags: stay inside the root, and refuse /proc magic links (a /proc/self/root symlink
// planted in an image must not jump anywhere).
const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

var errNoOpenat2 = errors.New("openat2 unavailable")

// noOpenat2 makes every lookup take the user-space fallback (tests exercise both paths).
var noOpenat2 bool

func (r *root) openat2(rel string, flags int) (*os.File, error) {
	if noOpenat2 {
		return nil, errNoOpenat2
	}
	how := &unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolveFlags}
	for range 16 { // EAGAIN/EINTR when a rename races the lookup; bounded
		fd, err := unix.Openat2(int(r.dir.Fd()), rel, how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), filepath.Join(r.path, rel)), nil
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) && !r.openat2Works():
			return nil, errNoOpenat2
		}
		return nil, err
	}
	return nil, unix.EAGAIN
}

// openat2Works tells a real EPERM from openat2 (a permission problem on the path) from a
// seccomp filter that blocks the syscall: an empty lookup of "." only fails in the second case.
func (r *root) openat2Works() bool {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveFlags}
	fd, err := unix.Openat2(int(r.dir.Fd()), ".", how)
	if err == nil {
		unix.Close(fd)
		return true
	}
	return false
}

// open returns an O_PATH handle of unsafePath inside the root. flags may add O_DIRECTORY or
// O_NOFOLLOW (the last component then is not followed, and a symlink gives its own handle).
func (r *root) open(unsafePath string, flags int) (*os.File, error) {
	rel := relative(unsafePath)
	f, err := r.openat2(rel, unix.O_PATH|flags)
	if !errors.Is(err, errNoOpenat2) {
		return f, err
	}
	// Fallback: resolve in user space, open without following anything at the end, and check
	// where the descriptor really is (a rename between the two steps can only make this fail).
	full, err := securejoin.SecureJoin(r.path, rel)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Open(full, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC|flags, 0)
	if err != nil {
		return nil, err
	}
	f = os.NewFile(uintptr(fd), full)
	real, err := os.Readlink(fdPath(f))
	if err != nil || (real != r.path && !strings.HasPrefix(real, strings.TrimSuffix(r.path, "/")+"/")) {
		f.Close()
		return nil, fmt.Errorf("%s resolved to %q, outside the root %s: %w", unsafePath, real, r.path, unix.EXDEV)
	}
	return f, nil
}

// mkdirAll creates unsafePath inside the root (directories, and the last component as an empty
// file when file is true) and returns an O_PATH handle of it. Existing symlinks are followed
// inside the root, so a link to "/etc" creates <root>/etc, never the host's.
//
// Each component is created with mkdirat/openat(O_EXCL|O_NOFOLLOW) in a parent that was itself
// reached through the root-confined lookup, so a directory swapped for a symlink during the walk
// can only make the walk fail, never leave the root.
func (r *root) mkdirAll(unsafePath string, mode uint32, file bool) (*os.File, error) {
	if f, err := r.open(unsafePath, 0); err == nil {
		return f, nil
	} else if !errors.Is(err, unix.ENOENT) {
		return nil, err
	}
	// The lexical resolution (following the links that exist, clamped at the root) tells which
	// directories a dangling symlink asks for; the walk below re-checks every step in the kernel.
	full, err := securejoin.SecureJoin(r.path, relative(unsafePath))
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(r.path, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("%s resolves outside the root: %w", unsafePath, unix.EXDEV)
	}
	parts := strings.Split(rel, "/")
	parent, err := r.open(".", unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	for i, name := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		last := i == len(parts)-1
		next, err := r.open(prefix, 0)
		if errors.Is(err, unix.ENOENT) {
			if last && file {
				var fd int
				fd, err = unix.Openat(int(parent.Fd()), name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, mode)
				if err == nil {
					unix.Close(fd)
				}
			} else {
				err = unix.Mkdirat(int(parent.Fd()), name, mode)
			}
			if err != nil && !errors.Is(err, unix.EEXIST) {
				parent.Close()
				return nil, fmt.Errorf("create %s: %w", filepath.Join(r.path, prefix), err)
			}
			next, err = r.open(prefix, 0)
		}
		parent.Close()
		if err != nil {
			return nil, fmt.Errorf("open %s after creating it: %w", filepath.Join(r.path, prefix), err)
		}
		parent = next
	}
	return parent, nil
}

// fdPath is the /proc/self/fd path of an open file: mounting onto it mounts onto exactly the
// inode the descriptor holds, whatever the path now points to.
func fdPath(f *os.File) string {
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}

// mountID is the id of the mount a descriptor is on (the first field of mountinfo).
func mountID(f *os.File) (uint64, error) {
	var st unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &st); err != nil {
		return 0, err
	}
	return st.Mnt_id, nil
}
