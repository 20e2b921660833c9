package runtime

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Pause freezes every process of the container.
func Pause(root, id string) error {
	c, err := Load(root, id)
	if err != nil {
		return err
	}
	if c.State.Status != specs.StateRunning && c.State.Status != specs.StateCreated {
		return fmt.Errorf("cannot pause container %q: it is %s", id, c.State.Status)
	}
	return c.cgroup().Freeze()
}

// Resume thaws a paused container.
func Resume(root, id string) error {
	c, err := Load(root, id)
	if err != nil {
		return err
	}
	if c.State.Status != StatePaused {
		return fmt.Errorf("cannot resume container %q: it is %s, not paused", id, c.State.Status)
	}
	return c.cgroup().Thaw()
}

// Update applies new resource limits to a running container and saves them.
func Update(root, id string, r *specs.LinuxResources) error {
	c, err := Load(root, id)
	if err != nil {
		return err
	}
	unlock, err := lock(c.dir())
	if err != nil {
		return err
	}
	defer unlock()
	if c.State.Status == specs.StateStopped {
		return fmt.Errorf("cannot update container %q: it is stopped", id)
	}
	if err := c.cgroup().Set(r); err != nil {
		return err
	}
	spec, err := c.State.Spec()
	if err != nil {
		return err
	}
	spec.Linux.Resources = mergeResources(spec.Linux.Resources, r)
	if err := c.State.SetSpec(spec); err != nil {
		return err
	}
	return saveState(c.dir(), c.State)
}

// mergeResources overlays the fields set in r onto old.
func mergeResources(old, r *specs.LinuxResources) *specs.LinuxResources {
	if old == nil {
		return r
	}
	m := *old
	if r.Memory != nil {
		m.Memory = r.Memory
	}
	if r.CPU != nil {
		m.CPU = r.CPU
	}
	if r.Pids != nil {
		m.Pids = r.Pids
	}
	if r.BlockIO != nil {
		m.BlockIO = r.BlockIO
	}
	if len(r.HugepageLimits) > 0 {
		m.HugepageLimits = r.HugepageLimits
	}
	if len(r.Unified) > 0 {
		m.Unified = r.Unified
	}
	return &m
}

// Pids lists the processes of the container.
func Pids(root, id string) ([]int, error) {
	c, err := Load(root, id)
	if err != nil {
		return nil, err
	}
	if c.State.Status == specs.StateStopped {
		return []int{}, nil
	}
	return c.cgroup().Pids()
}

// OOMKills reports how many processes of the container the kernel's OOM killer ended (read
// from the cgroup, so call it before Delete).
func OOMKills(st *State) uint64 {
	c := &Container{State: st}
	return c.cgroup().OOMKills()
}
