package runtime

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime/cgroups"
)

// Delete removes a stopped (or created) container: its processes, cgroup and state, then runs
// the poststop hooks. With force, a running or paused container is killed first, and a
// container that does not exist is not an error. It returns the state the container had
// (nil when there was none), for what other layers release after it.
func Delete(root, id string, force bool) (*State, error) {
	c, err := Load(root, id)
	if err != nil {
		if force && IsNotExist(err) {
			_, err := removeStale(root, id)
			return nil, err
		}
		return nil, err
	}
	unlock, err := lock(c.dir())
	if err != nil {
		return nil, err
	}
	defer unlock()
	c.refresh()
	switch c.State.Status {
	case specs.StateStopped:
	case specs.StateCreated:
		// A container that never started has nothing to lose: delete kills its init.
		if err := c.killAndWait(); err != nil {
			return nil, err
		}
	default:
		if !force {
			return nil, fmt.Errorf("cannot delete container %q: it is %s (stop it first, or use --force)", id, c.State.Status)
		}
		if err := c.killAndWait(); err != nil {
			return nil, err
		}
	}
	return c.State, c.destroy()
}

// killAndWait kills every process of the container and waits for the init to be gone.
func (c *Container) killAndWait() error {
	cg := c.cgroup()
	if err := cgroups.KillAll(cg, unix.SIGKILL); err != nil {
		slog.Debug("kill all", "err", err)
	}
	unix.Kill(c.State.Pid, unix.SIGKILL)
	if !waitGone(c.State.Pid, c.State.InitStartTime, 10*time.Second) {
		return fmt.Errorf("container %q: init %d still alive 10s after SIGKILL", c.State.ID, c.State.Pid)
	}
	return nil
}

// destroy removes what the container holds on the host; each step is tried even when an
// earlier one failed, and the first error is returned.
func (c *Container) destroy() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	// The state directory goes in parallel with the cgroup (each a few hundred microseconds of
	// filesystem work under different locks); both are gone before Delete returns.
	dirGone := make(chan error, 1)
	go func() { dirGone <- os.RemoveAll(c.dir()) }()
	keep(c.cgroup().Destroy())
	var hooks *specs.Hooks
	if spec, err := c.State.Spec(); err != nil {
		keep(err)
	} else {
		hooks = spec.Hooks
	}
	if h := hooks; h != nil && len(h.Poststop) > 0 {
		st := c.OCIState()
		st.Status = specs.StateStopped
		if err := runHooks("poststop", h.Poststop, &st); err != nil {
			slog.Warn(err.Error()) // the runtime-spec: a poststop failure is only logged
		}
	}
	if err := <-dirGone; err != nil {
		keep(fmt.Errorf("remove state dir %s: %w", c.dir(), err))
	}
	return first
}
