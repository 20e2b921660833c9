package seccomp

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Load compiles s and installs it on the calling thread group with
// seccomp(2) SECCOMP_SET_MODE_FILTER and SECCOMP_FILTER_FLAG_TSYNC (every
// thread of the Go runtime gets the filter, and no_new_privs with it). The
// calling thread needs no_new_privs (prctl PR_SET_NO_NEW_PRIVS) or
// CAP_SYS_ADMIN.
//
// If a rule uses SCMP_ACT_NOTIFY, the filter is loaded with
// SECCOMP_FILTER_FLAG_NEW_LISTENER and the listener fd is returned (the
// caller sends it to the spec's listenerPath); otherwise listenerFd is -1.
// A nil s loads nothing and returns -1.
//
// Load it as late as possible: the filter applies to the caller from now on,
// so everything after Load (up to and including execve) must be allowed.
func Load(s *specs.LinuxSeccomp) (listenerFd int, warnings []string, err error) {
	if s == nil {
		return -1, nil, nil
	}
	p, err := makePlan(s)
	if err != nil {
		return -1, nil, err
	}
	prog, err := p.generate()
	if err != nil {
		return -1, p.warnings, fmt.Errorf("seccomp: %w", err)
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
	fd, err := install(prog, flags)
	if err != nil {
		return -1, p.warnings, err
	}
	if !p.notify {
		fd = -1
	}
	return fd, p.warnings, nil
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
