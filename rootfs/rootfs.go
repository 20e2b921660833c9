// Package rootfs builds a container's root filesystem from an OCI spec, inside the container's
// own mount namespace: the spec's mounts in order, the default devices, pivot_root (or MS_MOVE
// and chroot), then masked and read-only paths, the read-only root and the rootfs propagation.
//
// It runs in the container's init process, which is already in the new mount namespace (and maybe
// a new user namespace) when it calls Prepare. Every mount destination is resolved inside the
// rootfs and opened before it is mounted on (through its /proc/self/fd path), so no symlink in the
// image, present or raced in, can make a mount land on the host.
package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Config is what the runtime's init hands to Prepare and Finalize.
type Config struct {
	Spec    *specs.Spec // Root, Mounts, Process.Terminal and Linux (propagation, devices, paths, namespaces)
	Bundle  string      // Root.Path and relative bind sources are relative to it
	NoPivot bool        // --no-pivot: MS_MOVE + chroot instead of pivot_root
	// BeforePivot, if set, runs after every mount and device is in place and before the root
	// switch: where the runtime-spec runs the createRuntime and createContainer hooks.
	BeforePivot func() error
	// Step, if set, is called after each step of Prepare with its name (step timing).
	Step func(name string)
}

func (c *Config) step(name string) {
	if c.Step != nil {
		c.Step(name)
	}
}

// setup is the state the steps of Prepare share.
type setup struct {
	c        *Config
	spec     *specs.Spec
	rootfs   string // absolute, host symlinks resolved
	root     *root  // handle on the rootfs bind mount; every container path is resolved in it
	userns   bool   // a new user namespace: no mknod, locked mount flags
	cgroupns bool   // a new cgroup namespace: cgroup filesystems can be mounted for real
	netns    bool   // a new network namespace: sysfs can be mounted for real in a userns
}

func newSetup(c *Config) (*setup, error) {
	if c == nil || c.Spec == nil {
		return nil, errors.New("rootfs: no spec")
	}
	if c.Spec.Root == nil || c.Spec.Root.Path == "" {
		return nil, errors.New("rootfs: spec has no root.path")
	}
	p := c.Spec.Root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.Bundle, p)
	}
	// The rootfs path itself is the caller's (trusted) choice; only what is inside it is not.
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("resolve root.path %s: %w", p, err)
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return nil, fmt.Errorf("resolve root.path %s: %w", p, err)
	}
	s := &setup{c: c, spec: c.Spec, rootfs: real}
	if l := c.Spec.Linux; l != nil {
		s.userns = nsNew(l.Namespaces, specs.UserNamespace)
		s.cgroupns = nsNew(l.Namespaces, specs.CgroupNamespace)
		s.netns = nsNew(l.Namespaces, specs.NetworkNamespace)
	}
	return s, nil
}

// nsNew reports whether the spec asks for a new namespace of type t (listed, without a path).
func nsNew(list []specs.LinuxNamespace, t specs.LinuxNamespaceType) bool {
	for _, n := range list {
		if n.Type == t && n.Path == "" {
			return true
		}
	}
	return false
}

// Prepare does everything up to and including the switch of root: on return the process's "/"
// is the container's rootfs and its working directory is "/". The order matters; each rule is
// stated where it applies.
func Prepare(c *Config) error {
	s, err := newSetup(c)
	if err != nil {
		return err
	}
	// 1. Cut propagation towards the host first, before creating any mount: the namespace's
	// copy of "/" may be shared with the host's, and every mount below would then appear there.
	// rslave (runc's default, as the spec gives none) still lets host mounts reach the container.
	if err := s.prepareRoot(); err != nil {
		return err
	}
	c.step("propagation")
	// 2. Bind the rootfs onto itself: pivot_root and MS_MOVE need a mount point, and from here
	// on every mount is inside this one mount, which goes away with the namespace.
	if err := mount(s.rootfs, s.rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs %s onto itself: %w", s.rootfs, errnoErr(err))
	}
	// 3. Open the root handle only now, so lookups through it see the bind mount and not the
	// directory it covers (a mount made through the old handle would be hidden under the bind).
	if s.root, err = openRoot(s.rootfs); err != nil {
		return err
	}
	defer s.root.close()
	c.step("bind")
	// 4. The spec's mounts, in the spec's order: a later mount may sit on an earlier one
	// (/dev/pts on /dev, /sys/fs/cgroup on /sys).
	for i := range s.spec.Mounts {
		if err := s.mountOne(i, &s.spec.Mounts[i]); err != nil {
			return err
		}
		c.step(s.spec.Mounts[i].Destination)
	}
	// 5. Devices go into the /dev the mounts made (usually a tmpfs), so after the mounts; unless
	// the spec bind-mounts a /dev, which then is the caller's to fill.
	if s.needsDev() {
		if err := s.createDevices(); err != nil {
			return err
		}
		if err := s.devLinks(); err != nil {
			return err
		}
		c.step("devices")
	}
	// 6. /dev/console as an empty file the runtime binds the pty onto after Prepare.
	if s.spec.Process != nil && s.spec.Process.Terminal {
		if err := s.consoleFile(); err != nil {
			return err
		}
	}
	// 7. The runtime's hooks (createRuntime, createContainer) see the finished mounts from the
	// old root.
	if c.BeforePivot != nil {
		if err := c.BeforePivot(); err != nil {
			return err
		}
	}
	// 8. Switch root last: every host path a mount needs (bind sources, /dev nodes to bind in a
	// user namespace, the host's cgroup hierarchies) is reachable only before it.
	err = s.switchRoot()
	c.step("switch root")
	return err
}

// Finalize runs after Prepare once the runtime has set the hostname and sysctls and bound the
// console: read-only paths, masked paths, the read-only root, then the rootfs propagation.
func Finalize(c *Config) error {
	if c == nil || c.Spec == nil {
		return errors.New("rootfs: no spec")
	}
	r, err := openRoot("/")
	if err != nil {
		return err
	}
	defer r.close()
	l := c.Spec.Linux
	if l == nil {
		l = &specs.Linux{}
	}
	// Read-only paths before masked paths: a path masked inside a read-only one (a file under
	// /proc/sys) gets its mask on top of the read-only bind, and the recursive bind of the
	// read-only path never hides a mask. The sysctls were written before, while /proc/sys was
	// still writable.
	for _, p := range l.ReadonlyPaths {
		if err := readonlyPath(r, p); err != nil {
			return err
		}
	}
	for _, p := range l.MaskedPaths {
		if err := maskPath(r, p); err != nil {
			return err
		}
	}
	// The read-only root after the paths above: they need no write access, but keeping the
	// remount of "/" last among the mounts means nothing else ever needs "/" writable.
	if c.Spec.Root != nil && c.Spec.Root.Readonly {
		if err := remountReadonly(r, "/", 0); err != nil {
			return fmt.Errorf("make root read-only: %w", err)
		}
	}
	// The propagation asked for applies to the container's "/" (after pivot_root it is the
	// rootfs mount); doing it before the switch would change the mount that held the rootfs.
	if l.RootfsPropagation != "" {
		flag, err := rootPropagation(l.RootfsPropagation)
		if err != nil {
			return err
		}
		if err := mount("", "/", "", flag, ""); err != nil {
			return fmt.Errorf("set rootfs propagation %s on /: %w", l.RootfsPropagation, errnoErr(err))
		}
	}
	return nil
}

// rootPropagation maps linux.rootfsPropagation to a propagation flag. The spec lists shared,
// slave, private and unbindable; runc also takes the r* forms, and so do we.
func rootPropagation(v string) (uintptr, error) {
	if f, ok := propagationTable[v]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("linux.rootfsPropagation %q: want shared, slave, private or unbindable (or their r forms)", v)
}

// mount is mount(2), retried on EINTR a bounded number of times.
func mount(source, target, fstype string, flags uintptr, data string) error {
	var err error
	for range 8 {
		if err = unix.Mount(source, target, fstype, flags, data); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
	return err
}

// errnoErr adds the errno's symbolic name ("EPERM") after its text, keeping it wrapped.
func errnoErr(err error) error {
	var e unix.Errno
	if errors.As(err, &e) {
		if name := unix.ErrnoName(e); name != "" && !strings.Contains(err.Error(), name) {
			return fmt.Errorf("%w (%s)", err, name)
		}
	}
	return err
}

// mountErr names a spec mount in an error: its index, destination, source, type and options.
func mountErr(i int, m *specs.Mount, step string, err error) error {
	return fmt.Errorf("mount %d (destination %s, source %q, type %q, options %q): %s: %w",
		i, m.Destination, m.Source, m.Type, strings.Join(m.Options, ","), step, errnoErr(err))
}
