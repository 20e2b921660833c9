package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime/cgroups"
)

// ParseSignal accepts "TERM", "SIGTERM", "term" or "15".
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %q: expected 1..64", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("signal %q: unknown signal name (expected e.g. TERM, KILL, HUP, USR1 or a number)", s)
}

// Kill sends sig to the container's init, or with all to every process of its cgroup.
func Kill(root, id string, sig unix.Signal, all bool) error {
	c, err := Load(root, id)
	if err != nil {
		return err
	}
	switch c.State.Status {
	case specs.StateCreated, specs.StateRunning, StatePaused:
	default:
		if all {
			return nil // nothing left to signal
		}
		return fmt.Errorf("cannot kill container %q: it is %s", id, c.State.Status)
	}
	if all {
		return cgroups.KillAll(c.cgroup(), sig)
	}
	if err := unix.Kill(c.State.Pid, sig); err != nil {
		return fmt.Errorf("kill container %q init %d with %v: %w", id, c.State.Pid, sig, err)
	}
	return nil
}

// waitGone waits up to timeout until pid (with start time, or any if 0) is no longer alive.
func waitGone(pid int, startTime uint64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if startTime == 0 {
			var ws unix.WaitStatus
			if p, _ := unix.Wait4(pid, &ws, unix.WNOHANG, nil); p == pid {
				return true
			}
			if unix.Kill(pid, 0) != nil {
				return true
			}
			if st, _, err := procStat(pid); err == nil && st == 'Z' {
				return true
			}
		} else if !alive(pid, startTime) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}
