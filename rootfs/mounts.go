package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// prepareRoot sets the propagation of the whole mount tree ("/", recursively) and makes the mount
// that holds the rootfs private.
//
// The first mount is rootfsPropagation when given (as runc does), else rslave: mounts the host
// makes later still reach the container, nothing the container mounts goes back. The mount that
// holds the rootfs is then made private because pivot_root refuses a new root whose parent mount
// is shared, and because the rootfs bind must not be propagated to any peer.
func (s *setup) prepareRoot() error {
	flag := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if l := s.spec.Linux; l != nil && l.RootfsPropagation != "" {
		f, err := rootPropagation(l.RootfsPropagation)
		if err != nil {
			return err
		}
		flag = f | unix.MS_REC
	}
	if err := mount("", "/", "", flag, ""); err != nil {
		return fmt.Errorf("set propagation of / (flags %#x): %w", flag, errnoErr(err))
	}
	// After a recursive rslave, rprivate or runbindable nothing is shared any more (a shared
	// mount made a slave leaves its peer group): only rshared needs the mount table read.
	if flag&unix.MS_SHARED == 0 {
		return nil
	}
	mi, err := readMountinfo()
	if err != nil {
		return err
	}
	parent := holdingMount(mi, s.rootfs)
	if parent != nil && parent.shared() {
		if err := mount("", parent.Mountpoint, "", unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make %s (the mount holding the rootfs) private: %w", parent.Mountpoint, errnoErr(err))
		}
	}
	return nil
}

// holdingMount is the mount a path is on: the last mounted of those with the longest mount point
// that is a prefix of the path.
func holdingMount(mi []mountInfo, p string) *mountInfo {
	var best *mountInfo
	for i := range mi {
		mp := mi[i].Mountpoint
		if mp == p || mp == "/" || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/") {
			if best == nil || len(mp) >= len(best.Mountpoint) {
				best = &mi[i]
			}
		}
	}
	return best
}

// mountOne mounts spec mount i inside the rootfs.
func (s *setup) mountOne(i int, m *specs.Mount) error {
	if m.Destination == "" {
		return mountErr(i, m, "check destination", fmt.Errorf("empty destination: %w", unix.EINVAL))
	}
	o, err := parseMountOptions(m.Options)
	if err != nil {
		return mountErr(i, m, "parse options", err)
	}
	if m.Type == "bind" {
		o.flags |= unix.MS_BIND
	}
	switch {
	case m.Type == "cgroup" || m.Type == "cgroup2":
		return s.mountCgroup(i, m, o)
	case o.bind():
		return s.mountBind(i, m, o)
	}
	// proc and sysfs on a symlink are refused outright (as runc does): the image chose where
	// they would land, and the masked paths (/proc/kcore...) would then protect nothing.
	if m.Type == "proc" || m.Type == "sysfs" {
		if err := s.noSymlinkOnPath(m.Destination); err != nil {
			return mountErr(i, m, "check destination", err)
		}
	}
	dst, err := s.root.mkdirAll(m.Destination, 0o755, false)
	if err != nil {
		return mountErr(i, m, "create mount point", err)
	}
	defer dst.Close()
	if testHookBeforeMount != nil {
		testHookBeforeMount(m.Destination)
	}
	var old *os.File
	if o.tmpcopyup {
		// Keep a handle on the directory before it is covered: the copy reads through it.
		if old, err = reopenDir(dst); err != nil {
			return mountErr(i, m, "open for tmpcopyup", err)
		}
		defer old.Close()
	}
	err = mount(m.Source, fdPath(dst), m.Type, o.flags&^unix.MS_REC, o.data)
	if errors.Is(err, unix.EPERM) && m.Type == "sysfs" && s.userns && !s.netns {
		// A user namespace may only mount sysfs with a network namespace of its own; without one,
		// the host's /sys is bound instead (read-only below if asked), as runc does.
		return s.mountBind(i, &specs.Mount{Destination: m.Destination, Source: "/sys", Type: "bind", Options: m.Options},
			&mountOpts{flags: o.flags | unix.MS_BIND | unix.MS_REC, propagation: o.propagation})
	}
	if err != nil {
		return mountErr(i, m, "mount", err)
	}
	mnt, err := s.reopenMounted(dst, m.Destination)
	if err != nil {
		return mountErr(i, m, "verify", err)
	}
	defer mnt.Close()
	if old != nil {
		if err := copyTree(old, mnt, 0); err != nil {
			return mountErr(i, m, "tmpcopyup", err)
		}
	}
	return s.afterMount(i, m, o, mnt)
}

// testHookBeforeMount, when set (by tests only), runs between the creation of a mount point and
// the mount: the place where CVE-2021-30465 swapped a directory for a symlink.
var testHookBeforeMount func(dest string)

// mountBind bind-mounts a host path (relative ones are relative to the bundle) into the rootfs.
// The source is opened first and mounted from its descriptor, the destination created as a file
// or directory to match.
func (s *setup) mountBind(i int, m *specs.Mount, o *mountOpts) error {
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(s.c.Bundle, src)
	}
	sfd, err := unix.Open(src, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return mountErr(i, m, "open source "+src, err)
	}
	srcFile := os.NewFile(uintptr(sfd), src)
	defer srcFile.Close()
	var st unix.Stat_t
	if err := unix.Fstat(sfd, &st); err != nil {
		return mountErr(i, m, "stat source "+src, err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	dst, err := s.root.mkdirAll(m.Destination, 0o755, !isDir)
	if err != nil {
		return mountErr(i, m, "create mount point", err)
	}
	defer dst.Close()
	if testHookBeforeMount != nil {
		testHookBeforeMount(m.Destination)
	}
	if err := mount(fdPath(srcFile), fdPath(dst), "", o.flags&(unix.MS_BIND|unix.MS_REC), ""); err != nil {
		return mountErr(i, m, "bind", err)
	}
	mnt, err := s.reopenMounted(dst, m.Destination)
	if err != nil {
		return mountErr(i, m, "verify", err)
	}
	defer mnt.Close()
	// A bind mount ignores every flag but MS_BIND|MS_REC: ro, nosuid, nodev, noexec and the atime
	// flags take a second call, a remount of the new mount only.
	if extra := o.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT); extra != 0 {
		if err := remount(mnt, extra); err != nil {
			return mountErr(i, m, fmt.Sprintf("remount with flags %#x", extra), err)
		}
	}
	return s.afterMount(i, m, o, mnt)
}

// afterMount applies what comes after the mount itself: the recursive attributes (rro...) and the
// propagation flags, each on the new mount.
func (s *setup) afterMount(i int, m *specs.Mount, o *mountOpts, mnt *os.File) error {
	if o.recAttrSet != 0 || o.recAttrClr != 0 {
		attr := &unix.MountAttr{Attr_set: o.recAttrSet, Attr_clr: o.recAttrClr}
		if err := unix.MountSetattr(int(mnt.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
			return mountErr(i, m, fmt.Sprintf("mount_setattr set %#x clear %#x", o.recAttrSet, o.recAttrClr), err)
		}
	}
	for _, p := range o.propagation {
		if err := mount("", fdPath(mnt), "", p, ""); err != nil {
			return mountErr(i, m, fmt.Sprintf("set propagation %#x", p), err)
		}
	}
	return nil
}

// reopenMounted opens the destination again after a mount onto dst and checks that the new
// handle is on a different mount: the old handle still names the covered directory, so the
// remount and propagation calls need the new one, and the check proves the mount landed there.
func (s *setup) reopenMounted(dst *os.File, dest string) (*os.File, error) {
	before, err := mountID(dst)
	if err != nil {
		return nil, fmt.Errorf("statx mount point: %w", err)
	}
	mnt, err := s.root.open(dest, 0)
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", dest, err)
	}
	after, err := mountID(mnt)
	if err != nil || after == before {
		mnt.Close()
		if err == nil {
			err = fmt.Errorf("%s is not a new mount after mounting (mount id %d): %w", dest, after, unix.EXDEV)
		}
		return nil, err
	}
	return mnt, nil
}

// remount changes the flags of the mount a handle is on (MS_BIND|MS_REMOUNT touches only the
// mount, not the filesystem). In a user namespace the kernel refuses to drop a flag the mount
// got from outside (nosuid, nodev, noexec, the atime mode: "locked"), so on EPERM the flags the
// mount has now are added and the call retried.
func remount(mnt *os.File, flags uintptr) error {
	target := fdPath(mnt)
	err := mount("", target, "", flags|unix.MS_BIND|unix.MS_REMOUNT, "")
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	var st unix.Statfs_t
	if serr := unix.Fstatfs(int(mnt.Fd()), &st); serr != nil {
		return err
	}
	locked := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if flags&(unix.MS_NOATIME|unix.MS_RELATIME|unix.MS_STRICTATIME) != 0 {
		locked &^= unix.MS_NOATIME | unix.MS_RELATIME // an explicit atime mode replaces the current one
	}
	return mount("", target, "", flags|locked|unix.MS_BIND|unix.MS_REMOUNT, "")
}

// noSymlinkOnPath refuses a destination with a symlink in any component.
func (s *setup) noSymlinkOnPath(dest string) error {
	rel := relative(dest)
	cur := ""
	for _, name := range strings.Split(rel, "/") {
		cur = path.Join(cur, name)
		f, err := s.root.open(cur, unix.O_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			return nil // created as a directory by mkdirAll
		}
		if err != nil {
			return err
		}
		var st unix.Stat_t
		err = unix.Fstat(int(f.Fd()), &st)
		f.Close()
		if err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return fmt.Errorf("/%s is a symlink: %w", cur, unix.ELOOP)
		}
	}
	return nil
}

// needsDev reports whether minictr fills /dev: not when the spec binds a /dev of its own.
func (s *setup) needsDev() bool {
	for _, m := range s.spec.Mounts {
		if path.Clean("/"+m.Destination) == "/dev" && (m.Type == "bind" || hasBindOption(m.Options)) {
			return false
		}
	}
	return true
}

func hasBindOption(opts []string) bool {
	for _, o := range opts {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}
