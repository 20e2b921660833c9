package runtime

import (
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minictr/minictr/runtime/cgroups"
)

// Container is a saved container with its live status.
type Container struct {
	Root  string
	State *State
}

// Load opens a container by id and computes its current status.
func Load(root, id string) (*Container, error) {
	st, err := loadState(root, id)
	if err != nil {
		return nil, err
	}
	c := &Container{Root: root, State: st}
	c.refresh()
	return c, nil
}

func (c *Container) dir() string { return containerDir(c.Root, c.State.ID) }

func (c *Container) cgroup() cgroups.Manager {
	return cgroups.Load(cgroups.Mode(c.State.CgroupMode), c.State.CgroupPaths)
}

// refresh sets Status from the live system: the init alive (same pid and start time), the
// freezer, and the exec fifo.
func (c *Container) refresh() {
	st := c.State
	if !alive(st.Pid, st.InitStartTime) {
		st.Status = specs.StateStopped
		st.Pid = 0
		return
	}
	if fs, err := c.cgroup().State(); err == nil && fs == cgroups.Frozen {
		st.Status = StatePaused
		return
	}
	if _, err := os.Stat(filepath.Join(c.dir(), "exec.fifo")); err == nil {
		st.Status = specs.StateCreated
		return
	}
	st.Status = specs.StateRunning
}

// OCIState is the runtime-spec's state of the container.
func (c *Container) OCIState() specs.State {
	s := c.State.State
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	return s
}

// List returns every container under root.
func List(root string) ([]*Container, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Container
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if c, err := Load(root, e.Name()); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// StatePaused is the status runc reports for a frozen container (not in the runtime-spec's
// list, but what podman and containerd expect).
const StatePaused specs.ContainerState = "paused"
