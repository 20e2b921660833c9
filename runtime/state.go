// Package runtime is the container lifecycle: create, start, state, kill, delete, exec, pause,
// resume, update and ps over the state that create saves under the root directory.
//
// Layout of the root directory (default /run/minictr):
//
//	<root>/<id>/state.json   the container's saved state, written atomically
//	<root>/<id>/exec.fifo    exists from create to start: the init blocks opening it
//	<root>/<id>              flock(2) on the directory itself serializes minictr invocations
//	                         on one container (no lock file: one file create fewer per create)
package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	rspec "github.com/minictr/minictr/runtime/spec"
)

// State is what create saves: the OCI state plus what later invocations need.
type State struct {
	specs.State
	// InitStartTime is field 22 of /proc/<pid>/stat when the init started: a pid alone can be
	// reused by another process after the container exits.
	InitStartTime uint64            `json:"initStartTime"`
	Created       time.Time         `json:"created"`
	Rootfs        string            `json:"rootfs"`
	CgroupMode    int               `json:"cgroupMode"`
	CgroupPaths   map[string]string `json:"cgroupPaths"`
	// ConfigJSON is the bundle's config.json as create read it (the runtime-spec: a change to
	// the bundle after create does not affect the container). It is kept as bytes, not
	// re-encoded: the first encoding of a spec costs encoding/json about a millisecond of
	// per-type tables for the whole spec type. Spec decodes it for the commands that need it.
	ConfigJSON json.RawMessage `json:"config"`
	spec       *specs.Spec
	// Namespaces are the paths of the init's namespaces, as /proc/<pid>/ns/<type>, for exec.
	Namespaces map[specs.LinuxNamespaceType]string `json:"namespaces,omitempty"`
}

// Spec is the container's config, decoded from ConfigJSON on first use.
func (st *State) Spec() (*specs.Spec, error) {
	if st.spec != nil {
		return st.spec, nil
	}
	s, err := rspec.Parse("config of container "+st.ID, st.ConfigJSON)
	if err != nil {
		return nil, err
	}
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	st.spec = s
	return s, nil
}

// SetSpec replaces the saved config (update changes its resources).
func (st *State) SetSpec(s *specs.Spec) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode config of container %s: %w", st.ID, err)
	}
	st.ConfigJSON, st.spec = data, s
	return nil
}

// validID reports whether id matches [A-Za-z0-9][A-Za-z0-9_.+-]*.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '+' && c != '-') {
			return false
		}
	}
	return true
}

// CheckID rejects ids that are not safe as a single path component.
func CheckID(id string) error {
	if len(id) > 1024 || !validID(id) {
		return fmt.Errorf("container id %q: expected letters, digits, and _ . + - (not starting with a punctuation mark)", id)
	}
	return nil
}

func containerDir(root, id string) string { return filepath.Join(root, id) }

// saveState writes state.json atomically: a temp file renamed over the old one, so a reader
// sees the old or the new state, never a part. No fsync: the state root is on tmpfs (/run)
// and does not outlive a reboot, as the containers it describes do not.
func saveState(dir string, st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, "state.json"), data, 0o600, false)
}

func loadState(root, id string) (*State, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	path := filepath.Join(containerDir(root, id), "state.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &NotExistError{ID: id}
		}
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state %s: %w", path, err)
	}
	return &st, nil
}

// NotExistError says a container id is unknown.
type NotExistError struct{ ID string }

func (e *NotExistError) Error() string { return fmt.Sprintf("container %q does not exist", e.ID) }

// IsNotExist reports whether err means the container does not exist.
func IsNotExist(err error) bool {
	var ne *NotExistError
	return errors.As(err, &ne)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode, durable bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return fmt.Errorf("fsync %s: %w", tmp.Name(), err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp.Name(), path, err)
	}
	return nil
}

// lock takes an exclusive flock on the container's directory; the returned func releases it.
func lock(dir string) (func(), error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock container: open %s: %w", dir, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock container: flock %s: %w", dir, err)
	}
	return func() { unix.Close(fd) }, nil
}
