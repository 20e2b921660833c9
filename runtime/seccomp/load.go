package seccomp

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Filter is a compiled filter with its seccomp(2) flags, ready to load.
type Filter struct {
	prog   []unix.SockFilter
	flags  uint
	notify bool
}

// Prepare compiles s and decides the flags, so that the init's last step
// before exec is a single syscall (Filter.Load) with no Go work in between
// that a strict profile could break. A nil s gives a nil *Filter, whose Load
// does nothing.
func Prepare(s *specs.LinuxSeccomp) (*Filter, []string, error) {
	if s == nil {
		return nil, nil, nil
	}
	p, err := makePlan(s)
	if err != nil {
		return nil, nil, err
	}
	prog, err := p.generate()
	if err != nil {
		return nil, p.warnings, fmt.Errorf("seccomp: %w", err)
	}
	flags := p.flags | unix.SECCOMP_FILTER_FLAG_TSYNC
	if p.notify {
		// TSYNC and NEW_LISTENER together need TSYNC_ESRCH (Linux 5.7), so
		// that a TSYNC failure cannot be confused with a listener fd.
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	} else if flags&unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 {
		flags &^= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		p.warnings = append(p.warnings, "seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no rule uses SCMP_ACT_NOTIFY")
	}
	return &Filter{prog: prog, flags: flags, notify: p.notify}, p.warnings, nil
}

// Len is the number of BPF instructions of the filter.
func (f *Filter) Len() int {
	if f == nil {
		return 0
	}
	return len(f.prog)
}

// Load installs the filter on the calling thread group (see the package
// Load). It returns the notify listener fd, or -1 when no rule notifies.
func (f *Filter) Load() (listenerFd int, err error) {
	if f == nil {
		return -1, nil
	}
	fd, err := install(f.prog, f.flags)
	if err != nil {
		return -1, err
	}
	if !f.notify {
		fd = -1
	}
	return fd, nil
}

// Load compiles s and installs it on the calling thread group with
// seccomp(2) SECCOMP_SET_MODE_FILTER and SECCOMP_FILTER_FLAG_TSYNC (every
// thread of the Go runtime gets the filter, and no_new_privs with it). The
// calling thread needs no_new_privs (prctl PR_SET_NO_NEW_PRIVS) or
// CAP_SYS_ADMIN.
//
// If a rule uses SCMP_ACT_NOTIFY, the filter is loaded with
// SECCOMP_FILTER_FLAG_NEW_LISTENER and the listener fd is returned (the
// caller sends it to the spec's listenerPath, see SendListener); otherwise
// listenerFd is -1. A nil s loads nothing and returns -1.
//
// Load it as late as possible: the filter applies to the caller from now on,
// so everything after Load (up to and including execve) must be allowed.
// Prepare + Filter.Load split the work so that only the syscall is left
// for the last moment.
func Load(s *specs.LinuxSeccomp) (listenerFd int, warnings []string, err error) {
	f, warnings, err := Prepare(s)
	if err != nil {
		return -1, warnings, err
	}
	fd, err := f.Load()
	return fd, warnings, err
}

func flagNames(flags uint) string {
	var n []string
	for _, f := range []struct {
		bit  uint
		name string
	}{
		{unix.SECCOMP_FILTER_FLAG_TSYNC, "TSYNC"},
		{unix.SECCOMP_FILTER_FLAG_LOG, "LOG"},
		{unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SPEC_ALLOW"},
		{unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, "NEW_LISTENER"},
		{unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "TSYNC_ESRCH"},
		{unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "WAIT_KILLABLE_RECV"},
	} {
		if flags&f.bit != 0 {
			n = append(n, f.name)
		}
	}
	return strings.Join(n, "|")
}

// install calls seccomp(SECCOMP_SET_MODE_FILTER, flags, prog) and returns its
// result (a listener fd with NEW_LISTENER).
func install(prog []unix.SockFilter, flags uint) (int, error) {
	if len(prog) == 0 {
		return -1, errors.New("seccomp: empty program")
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
	if e != 0 {
		hint := ""
		if e == unix.EACCES {
			hint = " (set no_new_privs first, or hold CAP_SYS_ADMIN)"
		}
		return -1, fmt.Errorf("seccomp: load filter: seccomp(SET_MODE_FILTER, %s, %d instructions): %w%s", flagNames(flags), len(prog), e, hint)
	}
	if flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 && r != 0 {
		// TSYNC without ESRCH: a positive result is the thread that could not sync.
		return -1, fmt.Errorf("seccomp: load filter: TSYNC failed for thread %d", r)
	}
	return int(r), nil
}
