package runtime

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Start releases a created container's init to exec the user's program, then runs the
// poststart hooks.
func Start(root, id string) error {
	c, err := Load(root, id)
	if err != nil {
		return err
	}
	unlock, err := lock(c.dir())
	if err != nil {
		return err
	}
	defer unlock()
	c.refresh()
	if c.State.Status != specs.StateCreated {
		return fmt.Errorf("cannot start container %q: it is %s, not created", id, c.State.Status)
	}
	fifoPath := filepath.Join(c.dir(), "exec.fifo")
	// Non-blocking open: the init's blocking open for writing completes now; then wait for
	// its byte, watching that the init is still alive.
	fd, err := unix.Open(fifoPath, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo %s: %w", fifoPath, err)
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var b [1]byte
		n, err := unix.Read(fd, b[:])
		if n == 1 {
			break
		}
		if err != nil && err != unix.EAGAIN {
			return fmt.Errorf("read exec fifo %s: %w", fifoPath, err)
		}
		if !alive(c.State.Pid, c.State.InitStartTime) {
			return fmt.Errorf("cannot start container %q: its init exited", id)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("start container %q: init did not answer on the exec fifo within 10s", id)
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		unix.Poll(fds, 20)
	}
	// The fifo's absence is what makes the container running from now on (refresh): the
	// saved state needs no rewrite (a file create and rename on the state filesystem).
	if err := os.Remove(fifoPath); err != nil {
		return fmt.Errorf("remove exec fifo %s: %w", fifoPath, err)
	}
	c.State.Status = specs.StateRunning
	spec, err := c.State.Spec()
	if err != nil {
		return err
	}
	// poststart failures are warnings: the container is already running.
	if h := spec.Hooks; h != nil && len(h.Poststart) > 0 {
		st := c.OCIState()
		if err := runHooks("poststart", h.Poststart, &st); err != nil {
			slog.Warn(err.Error())
		}
	}
	return nil
}
