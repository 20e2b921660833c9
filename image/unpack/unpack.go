// Package unpack extracts OCI/Docker image layers (tar, optionally gzip or zstd compressed) into
// a directory, safely: no entry can create, change or remove anything outside that directory.
//
// Safety rules, applied to every entry:
//   - names are cleaned; a leading "/" is dropped (the entry is confined to the root); a name
//     that still climbs out with ".." is rejected with an error naming the entry;
//   - the parent directory of an entry is opened with openat2(RESOLVE_IN_ROOT), so a symlink in
//     the archive (or already on disk) is resolved as if the target were "/": it can point
//     anywhere, it still lands inside the root (without openat2 the same is done in user space
//     with filepath-securejoin);
//   - the last component is never followed: files are created with O_EXCL|O_NOFOLLOW, links,
//     nodes and directories with the *at calls relative to the parent's descriptor;
//   - a hardlink target is resolved inside the root the same way, and linkat never follows it;
//   - header sizes are bounded (archive/tar caps PAX and GNU long-name records at 1 MiB; names
//     here are capped at PATH_MAX and NAME_MAX; xattrs at 64 KiB each).
//
// Whiteouts (".wh.NAME" and the opaque marker ".wh..wh..opq") are either converted to the
// overlay filesystem's form (a 0/0 character device, and the trusted.overlay.opaque=y xattr),
// which is what a per-layer snapshot used as an overlay lowerdir needs, or applied (the named
// files removed), which is what a flattened rootfs needs.
package unpack

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// WhiteoutMode says what to do with whiteout entries.
type WhiteoutMode int

const (
	// OverlayWhiteouts turns ".wh.NAME" into a 0/0 character device NAME and ".wh..wh..opq"
	// into trusted.overlay.opaque=y on its directory: the layer's directory then works as an
	// overlay lowerdir above its parents.
	OverlayWhiteouts WhiteoutMode = iota
	// ApplyWhiteouts removes the whited-out files from the directory, which holds the layers
	// below (a flattened rootfs, as `umoci unpack` or `tar -x` of every layer would give).
	ApplyWhiteouts
)

// Names of the whiteout markers (image-spec layer.md).
const (
	WhiteoutPrefix = ".wh."
	OpaqueWhiteout = ".wh..wh..opq"
	// whiteoutMeta prefixes other AUFS metadata entries, which are skipped.
	whiteoutMeta = ".wh..wh."
)

// Limits on hostile input.
const (
	maxPath      = 4096
	maxName      = 255
	maxXattrSize = 64 << 10
	maxXattrs    = 128
)

// Options tune an extraction.
type Options struct {
	Whiteouts WhiteoutMode
	// Lowers are the directories of the layers below (topmost first), used in overlay mode to
	// give a directory that the archive creates only implicitly (as the parent of an entry,
	// without its own entry) the mode, owner and times it has below, so that the merged view
	// does not change it. Optional.
	Lowers []string
	// WaitLowers, if set, is called before Lowers are read (at the end of the extraction),
	// so that the layers of one image can be unpacked in parallel.
	WaitLowers func() error
	// NoSameOwner skips chown (for an unprivileged caller).
	NoSameOwner bool
}

// Stats counts what an extraction did.
type Stats struct {
	Entries int64 // tar entries processed
	Bytes   int64 // bytes of regular file content written
}

// EntryError is the error for one tar entry.
type EntryError struct {
	Entry string // the entry's name as written in the archive
	Op    string
	Err   error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("layer entry %q: %s: %v", e.Entry, e.Op, e.Err)
}
func (e *EntryError) Unwrap() error { return e.Err }

// ErrUnsafe is wrapped by errors for entries that would escape the root.
var ErrUnsafe = errors.New("unsafe entry")

// Apply extracts the uncompressed tar stream r into dir, which must exist.
func Apply(ctx context.Context, dir string, r io.Reader, opts Options) (Stats, error) {
	x, err := newExtractor(dir, opts)
	if err != nil {
		return Stats{}, err
	}
	defer x.close()
	tr := tar.NewReader(r)
	for {
		if x.stats.Entries&255 == 0 {
			if err := ctx.Err(); err != nil {
				return x.stats, fmt.Errorf("unpack into %s: %w", dir, err)
			}
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return x.stats, fmt.Errorf("unpack into %s: read tar header after %d entries: %w", dir, x.stats.Entries, err)
		}
		x.stats.Entries++
		if err := x.entry(hdr, tr); err != nil {
			return x.stats, err
		}
	}
	if err := x.finish(); err != nil {
		return x.stats, err
	}
	return x.stats, nil
}

// cleanName turns an archive name into a root-relative path ("" for the root itself).
func cleanName(name string) (string, error) {
	if len(name) > maxPath {
		return "", fmt.Errorf("%w: name is %d bytes (at most %d)", ErrUnsafe, len(name), maxPath)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("%w: NUL byte in name", ErrUnsafe)
	}
	p := path.Clean("/" + name) // a leading "/" confines; ".." cannot climb above "/"
	// path.Clean("/"+name) already removed every "..": check the raw name too, since an entry
	// that climbs out is more likely an attack than a mistake, and we reject it loudly.
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf("%w: name climbs out of the root with \"..\"", ErrUnsafe)
		}
		if len(c) > maxName {
			return "", fmt.Errorf("%w: component is %d bytes (at most %d)", ErrUnsafe, len(c), maxName)
		}
	}
	return strings.TrimPrefix(p, "/"), nil
}

type dirTimes struct {
	name string
	ts   [2]unix.Timespec
}

type extractor struct {
	root  string
	rootf int // O_PATH descriptor of the root
	opts  Options
	stats Stats
	buf   []byte

	// One cached parent directory: tar entries come grouped by directory.
	cacheName   string
	cacheFd     int
	cacheSetgid int // -1 unknown, 0 no, 1 yes

	dirs []dirTimes // set after all entries, deepest last in, first out
	// implicit holds directories created only as parents, in overlay mode, to be given the
	// attributes of the same directory in the lowers at the end.
	implicit []string
	// created holds every path this layer created (apply mode: whiteouts and opaque markers
	// must not remove them).
	created     map[string]bool
	implicitSet map[string]bool
	openat2     bool
	lowerFds    []int
}

func newExtractor(dir string, opts Options) (*extractor, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("unpack: open target directory %s: %w", dir, err)
	}
	x := &extractor{root: dir, rootf: fd, opts: opts, buf: make([]byte, 256<<10), cacheFd: -1, openat2: haveOpenat2()}
	if opts.Whiteouts == ApplyWhiteouts {
		x.created = map[string]bool{}
	}
	x.implicitSet = map[string]bool{}
	return x, nil
}

func (x *extractor) close() {
	x.dropCache()
	unix.Close(x.rootf)
	for _, fd := range x.lowerFds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

func (x *extractor) dropCache() {
	if x.cacheFd >= 0 {
		unix.Close(x.cacheFd)
	}
	x.cacheFd, x.cacheName, x.cacheSetgid = -1, "", -1
}

// parent returns a descriptor of directory dir (root-relative), creating missing directories.
// The descriptor belongs to the cache: do not close it.
func (x *extractor) parent(dir string) (int, error) {
	if dir == "" || dir == "." {
		return x.rootf, nil
	}
	if x.cacheFd >= 0 && x.cacheName == dir {
		return x.cacheFd, nil
	}
	fd, err := x.resolveDir(dir)
	if errors.Is(err, unix.ENOENT) {
		fd, err = x.mkdirAll(dir)
	}
	if err != nil {
		return -1, err
	}
	x.dropCache()
	x.cacheName, x.cacheFd = dir, fd
	return fd, nil
}

// mkdirAll creates dir and its missing parents (as 0755 directories) and opens it.
func (x *extractor) mkdirAll(dir string) (int, error) {
	parentFd := x.rootf
	own := false
	defer func() {
		if own {
			unix.Close(parentFd)
		}
	}()
	comps := strings.Split(dir, "/")
	for i, c := range comps {
		sofar := strings.Join(comps[:i+1], "/")
		fd, err := x.resolveDir(sofar)
		if errors.Is(err, unix.ENOENT) {
			// Create c in the parent resolved so far; a dangling symlink there is an error
			// (EEXIST), never followed.
			if err := unix.Mkdirat(parentFd, c, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				return -1, fmt.Errorf("create parent directory %q: %w", sofar, err)
			}
			x.noteCreated(sofar)
			if x.opts.Whiteouts == OverlayWhiteouts && len(x.opts.Lowers) > 0 {
				x.implicit = append(x.implicit, sofar)
				x.implicitSet[sofar] = true
			}
			fd, err = x.resolveDir(sofar)
		}
		if err != nil {
			return -1, fmt.Errorf("open parent directory %q: %w", sofar, err)
		}
		if own {
			unix.Close(parentFd)
		}
		parentFd, own = fd, true
	}
	own = false
	return parentFd, nil
}

func (x *extractor) noteCreated(name string) {
	if x.created != nil {
		x.created[name] = true
	}
}

func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return &EntryError{hdr.Name, "check name", err}
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")

	// Whiteouts.
	if strings.HasPrefix(base, WhiteoutPrefix) {
		if base == OpaqueWhiteout {
			return x.opaque(hdr.Name, dir)
		}
		if strings.HasPrefix(base, whiteoutMeta) {
			return nil // AUFS metadata (.wh..wh.plnk and the like)
		}
		target := base[len(WhiteoutPrefix):]
		if target == "" || target == "." || target == ".." {
			return &EntryError{hdr.Name, "whiteout", fmt.Errorf("%w: whiteout of %q", ErrUnsafe, target)}
		}
		return x.whiteout(hdr.Name, dir, target)
	}

	if name == "" { // the root directory itself
		if hdr.Typeflag != tar.TypeDir {
			return &EntryError{hdr.Name, "check type", fmt.Errorf("%w: the root can only be a directory", ErrUnsafe)}
		}
		return x.meta(hdr, x.rootf, ".", -1, true)
	}

	pfd, err := x.parent(dir)
	if err != nil {
		return &EntryError{hdr.Name, "open parent", err}
	}

	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.mkdir(hdr, pfd, name, base)
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		return x.file(hdr, r, pfd, name, base)
	case tar.TypeSymlink:
		if len(hdr.Linkname) > maxPath {
			return &EntryError{hdr.Name, "symlink", fmt.Errorf("%w: target is %d bytes", ErrUnsafe, len(hdr.Linkname))}
		}
		if err := x.replace(pfd, name, base); err != nil {
			return &EntryError{hdr.Name, "replace existing", err}
		}
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return &EntryError{hdr.Name, "symlink to " + hdr.Linkname, err}
		}
		x.noteCreated(name)
		return x.meta(hdr, pfd, base, -1, false)
	case tar.TypeLink:
		return x.link(hdr, pfd, name, base)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if err := x.replace(pfd, name, base); err != nil {
			return &EntryError{hdr.Name, "replace existing", err}
		}
		mode := uint32(hdr.Mode & 0o7777)
		switch hdr.Typeflag {
		case tar.TypeChar:
			mode |= unix.S_IFCHR
		case tar.TypeBlock:
			mode |= unix.S_IFBLK
		default:
			mode |= unix.S_IFIFO
		}
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		if err := unix.Mknodat(pfd, base, mode, dev); err != nil {
			return &EntryError{hdr.Name, fmt.Sprintf("mknod %d:%d", hdr.Devmajor, hdr.Devminor), err}
		}
		x.noteCreated(name)
		return x.meta(hdr, pfd, base, -1, false)
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return &EntryError{hdr.Name, "check type", fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)}
	}
}

func (x *extractor) mkdir(hdr *tar.Header, pfd int, name, base string) error {
	var st unix.Stat_t
	err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	wasWhiteout := false
	switch {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		// Merge into the existing directory.
	case err == nil:
		wasWhiteout = x.opts.Whiteouts == OverlayWhiteouts && isWhiteoutDev(&st)
		if err := x.removeAt(pfd, name, base); err != nil {
			return &EntryError{hdr.Name, "replace existing", err}
		}
		fallthrough
	case errors.Is(err, unix.ENOENT):
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil {
			return &EntryError{hdr.Name, "mkdir", err}
		}
	default:
		return &EntryError{hdr.Name, "stat existing", err}
	}
	x.noteCreated(name)
	delete(x.implicitSet, name)
	if wasWhiteout {
		// The directory replaces one that this layer whited out: it hides everything below.
		if err := x.setOpaque(pfd, base); err != nil {
			return &EntryError{hdr.Name, "mark opaque", err}
		}
	}
	return x.meta(hdr, pfd, base, -1, true)
}

func isWhiteoutDev(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

func (x *extractor) file(hdr *tar.Header, r io.Reader, pfd int, name, base string) error {
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	// Created with its permission bits, so that the common case (no setuid bits, nothing the
	// umask removes, owned by root) needs neither chmod nor chown afterwards.
	perm := uint32(hdr.Mode & 0o777)
	fd, err := unix.Openat(pfd, base, flags, perm)
	if errors.Is(err, unix.EEXIST) {
		if err := x.removeAt(pfd, name, base); err != nil {
			return &EntryError{hdr.Name, "replace existing", err}
		}
		fd, err = unix.Openat(pfd, base, flags, perm)
	}
	if err != nil {
		return &EntryError{hdr.Name, "create file", err}
	}
	x.noteCreated(name)
	var n int64
	var werr error
	if wt, ok := r.(io.WriterTo); ok && isSparse(hdr) {
		// archive/tar seeks over the holes of a sparse file instead of writing zeros: a huge
		// logical size costs neither time nor disk.
		n, werr = wt.WriteTo(&fdFile{fd})
	} else {
		n, werr = x.copyTo(fd, r)
	}
	x.stats.Bytes += n
	if werr != nil {
		unix.Close(fd)
		return &EntryError{hdr.Name, fmt.Sprintf("write content (%d of %d bytes)", n, hdr.Size), werr}
	}
	if err := x.meta(hdr, pfd, base, fd, false); err != nil {
		unix.Close(fd)
		return err
	}
	if err := unix.Close(fd); err != nil {
		return &EntryError{hdr.Name, "close file", err}
	}
	return nil
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// fdFile is an io.WriteSeeker on a raw descriptor.
type fdFile struct{ fd int }

func (f *fdFile) Write(b []byte) (int, error) {
	if err := writeAll(f.fd, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (f *fdFile) Seek(off int64, whence int) (int64, error) { return unix.Seek(f.fd, off, whence) }

// copyTo writes r to fd.
func (x *extractor) copyTo(fd int, r io.Reader) (int64, error) {
	var total int64
	for {
		n, err := io.ReadFull(r, x.buf)
		if n > 0 {
			if err := writeAll(fd, x.buf[:n]); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		b = b[n:]
	}
	return nil
}

func (x *extractor) link(hdr *tar.Header, pfd int, name, base string) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return &EntryError{hdr.Name, "check hardlink target " + hdr.Linkname, err}
	}
	if target == "" {
		return &EntryError{hdr.Name, "hardlink", fmt.Errorf("%w: target is the root directory", ErrUnsafe)}
	}
	if target == name {
		return nil
	}
	tdir, tbase := path.Split(target)
	tfd, err := x.resolveDir(strings.TrimSuffix(tdir, "/"))
	if (errors.Is(err, unix.ENOENT) || err == nil && !existsAt(tfd, tbase)) && x.opts.Whiteouts == OverlayWhiteouts && len(x.opts.Lowers) > 0 {
		// In a per-layer snapshot, the target may be in a layer below: copy it (the merged
		// view then has two files with the same content instead of one inode).
		if err == nil && tfd != x.rootf {
			unix.Close(tfd)
		}
		return x.copyFromLower(hdr, pfd, name, base, target)
	}
	if err != nil {
		return &EntryError{hdr.Name, "open hardlink target's directory " + hdr.Linkname, err}
	}
	defer func() {
		if tfd != x.rootf {
			unix.Close(tfd)
		}
	}()
	var st unix.Stat_t
	if err := unix.Fstatat(tfd, tbase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &EntryError{hdr.Name, "hardlink target " + hdr.Linkname, fmt.Errorf("target not in this layer: %w", err)}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return &EntryError{hdr.Name, "hardlink", fmt.Errorf("target %q is a directory", hdr.Linkname)}
	}
	if err := x.replace(pfd, name, base); err != nil {
		return &EntryError{hdr.Name, "replace existing", err}
	}
	// pfd may have been dropped from the cache by replace: reopen.
	if pfd, err = x.parent(path.Dir(name)); err != nil {
		return &EntryError{hdr.Name, "open parent", err}
	}
	if err := unix.Linkat(tfd, tbase, pfd, base, 0); err != nil {
		return &EntryError{hdr.Name, "hardlink to " + hdr.Linkname, err}
	}
	x.noteCreated(name)
	return nil
}

func existsAt(dfd int, base string) bool {
	var st unix.Stat_t
	return unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// copyFromLower makes name a copy of target as found in the topmost lower layer that has it.
func (x *extractor) copyFromLower(hdr *tar.Header, pfd int, name, base, target string) error {
	if x.opts.WaitLowers != nil {
		if err := x.opts.WaitLowers(); err != nil {
			return &EntryError{hdr.Name, "wait for the layers below", err}
		}
	}
	tdir, tbase := path.Split(target)
	tdir = strings.TrimSuffix(tdir, "/")
	for _, lower := range x.opts.Lowers {
		lfd, err := unix.Open(lower, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		dfd := lfd
		if tdir != "" {
			dfd, err = openInRoot(lfd, lower, tdir, x.openat2)
		}
		unix.Close(lfd)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		err = unix.Fstatat(dfd, tbase, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err != nil {
			unix.Close(dfd)
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(dfd)
			return &EntryError{hdr.Name, "hardlink to " + hdr.Linkname, fmt.Errorf("target in a lower layer is not a regular file")}
		}
		src, err := unix.Openat(dfd, tbase, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(dfd)
		if err != nil {
			return &EntryError{hdr.Name, "open hardlink target " + hdr.Linkname + " in a lower layer", err}
		}
		f := os.NewFile(uintptr(src), target)
		defer f.Close()
		h := *hdr
		h.Typeflag, h.Size = tar.TypeReg, st.Size
		h.Mode, h.Uid, h.Gid = int64(st.Mode&0o7777), int(st.Uid), int(st.Gid)
		h.ModTime = time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
		h.AccessTime = h.ModTime
		h.PAXRecords = nil
		return x.file(&h, f, pfd, name, base)
	}
	return &EntryError{hdr.Name, "hardlink target " + hdr.Linkname, fmt.Errorf("target in neither this layer nor a lower one")}
}

// replace removes whatever exists at base (a file, a link, a node, or a whole directory).
func (x *extractor) replace(pfd int, name, base string) error {
	err := unix.Unlinkat(pfd, base, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if errors.Is(err, unix.EISDIR) {
		return x.removeAt(pfd, name, base)
	}
	return err
}

// meta sets owner, mode, xattrs and times of base (in pfd), or of fd when fd >= 0.
func (x *extractor) meta(hdr *tar.Header, pfd int, base string, fd int, isDir bool) error {
	isLink := hdr.Typeflag == tar.TypeSymlink
	// A new regular file of root's in a directory without setgid already has the right owner
	// and, when the umask took nothing away, the right mode.
	fresh := fd >= 0 && hdr.Uid == 0 && hdr.Gid == 0 && euid == 0 && !x.parentSetgid(pfd)
	if fresh && hdr.Mode&0o7000 == 0 && uint32(hdr.Mode&0o777)&^processUmask == uint32(hdr.Mode&0o777) {
		if len(hdr.PAXRecords) > 0 {
			if err := x.xattrs(hdr, pfd, base, fd); err != nil {
				return err
			}
		}
		ts := [2]unix.Timespec{timespec(hdr.AccessTime, hdr.ModTime), timespec(hdr.ModTime, time.Time{})}
		if err := unix.UtimesNanoAt(pfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &EntryError{hdr.Name, "set times", err}
		}
		return nil
	}
	if !x.opts.NoSameOwner && !fresh {
		var err error
		if fd >= 0 {
			err = unix.Fchown(fd, hdr.Uid, hdr.Gid)
		} else {
			err = unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil {
			return &EntryError{hdr.Name, fmt.Sprintf("chown %d:%d", hdr.Uid, hdr.Gid), err}
		}
	}
	if !isLink {
		// After chown, which clears the setuid and setgid bits.
		mode := uint32(hdr.Mode & 0o7777)
		var err error
		if fd >= 0 {
			err = unix.Fchmod(fd, mode)
		} else {
			err = unix.Fchmodat(pfd, base, mode, 0)
		}
		if err != nil {
			return &EntryError{hdr.Name, fmt.Sprintf("chmod %04o", mode), err}
		}
	}
	if err := x.xattrs(hdr, pfd, base, fd); err != nil {
		return err
	}
	ts := [2]unix.Timespec{timespec(hdr.AccessTime, hdr.ModTime), timespec(hdr.ModTime, time.Time{})}
	if isDir {
		// A directory's mtime changes as entries are added below it: set it at the end.
		if name, err := cleanName(hdr.Name); err == nil {
			x.dirs = append(x.dirs, dirTimes{name, ts})
		}
		return nil
	}
	if err := unix.UtimesNanoAt(pfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &EntryError{hdr.Name, "set times", err}
	}
	return nil
}

var (
	euid         = os.Geteuid()
	processUmask = readUmask()
)

func readUmask() uint32 {
	old := unix.Umask(0o022)
	unix.Umask(old)
	return uint32(old)
}

// parentSetgid says whether directory pfd has the setgid bit (new files then take its group).
func (x *extractor) parentSetgid(pfd int) bool {
	if pfd == x.cacheFd && x.cacheSetgid >= 0 {
		return x.cacheSetgid == 1
	}
	var st unix.Stat_t
	if unix.Fstat(pfd, &st) != nil {
		return true // unknown: take the slow, exact path
	}
	sg := st.Mode&unix.S_ISGID != 0
	if pfd == x.cacheFd {
		x.cacheSetgid = 0
		if sg {
			x.cacheSetgid = 1
		}
	}
	return sg
}

func timespec(t, fallback time.Time) unix.Timespec {
	if t.IsZero() {
		t = fallback
	}
	if t.IsZero() {
		return unix.Timespec{Sec: 0, Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

func (x *extractor) xattrs(hdr *tar.Header, pfd int, base string, fd int) error {
	count := 0
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok {
			continue
		}
		// Overlay's own attributes would let a layer redirect lookups: never taken from an
		// archive.
		if strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.") {
			continue
		}
		count++
		if count > maxXattrs || len(v) > maxXattrSize {
			return &EntryError{hdr.Name, "set xattr " + name, fmt.Errorf("%w: more than %d xattrs or a value over %d bytes", ErrUnsafe, maxXattrs, maxXattrSize)}
		}
		var err error
		if fd >= 0 {
			err = unix.Fsetxattr(fd, name, []byte(v), 0)
		} else {
			err = unix.Lsetxattr(fdPath(pfd, base), name, []byte(v), 0)
		}
		if err != nil {
			if errors.Is(err, unix.ENOTSUP) || (hdr.Typeflag == tar.TypeSymlink && errors.Is(err, unix.EPERM)) {
				continue // the filesystem (or a symlink's user.* namespace) does not take it
			}
			return &EntryError{hdr.Name, "set xattr " + name, err}
		}
	}
	return nil
}

func fdPath(fd int, base string) string {
	return fmt.Sprintf("/proc/self/fd/%d/%s", fd, base)
}

// finish sets the directories' times (deepest first) and the implicit directories' attributes.
func (x *extractor) finish() error {
	x.dropCache()
	if len(x.implicit) > 0 && x.opts.WaitLowers != nil {
		if err := x.opts.WaitLowers(); err != nil {
			return fmt.Errorf("unpack into %s: wait for the layers below: %w", x.root, err)
		}
	}
	for _, d := range x.implicit {
		if !x.implicitSet[d] {
			continue // the archive gave the directory its own entry after all
		}
		if err := x.copyLowerAttrs(d); err != nil {
			return err
		}
	}
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		if d.name == "" {
			if err := unix.UtimesNanoAt(x.rootf, ".", d.ts[:], 0); err != nil {
				return &EntryError{"/", "set times", err}
			}
			continue
		}
		dir, base := path.Split(d.name)
		pfd, err := x.resolveDir(strings.TrimSuffix(dir, "/"))
		if err != nil {
			return &EntryError{d.name, "open parent to set times", err}
		}
		err = unix.UtimesNanoAt(pfd, base, d.ts[:], unix.AT_SYMLINK_NOFOLLOW)
		if pfd != x.rootf {
			unix.Close(pfd)
		}
		if err != nil && !errors.Is(err, unix.ENOENT) { // removed later by a whiteout
			return &EntryError{d.name, "set times", err}
		}
	}
	return nil
}
