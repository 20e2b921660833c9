package runtime

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime/cgroups"
)

// Rootless containers: run by a user without privileges, in a user namespace mapping the
// user to root. What changes for them is collected here.

// rootless reports whether this process lacks the host's root.
func rootless() bool { return os.Geteuid() != 0 }

// DefaultRoot is the state root: /run/minictr for root, $XDG_RUNTIME_DIR/minictr for a user.
func DefaultRoot() string {
	if !rootless() {
		return "/run/minictr"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "minictr")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("minictr-%d", os.Geteuid()))
}

// rootlessCgroup is the cgroup of a rootless container: on cgroup v2, a child of the user's
// own cgroup when that one is delegated (writable); otherwise none at all, which is fine
// unless the spec asks for limits.
func rootlessCgroup(s *specs.Spec, id string) (cgroups.Manager, bool, error) {
	if cgroups.Detect() == cgroups.V2 {
		if own, err := ownCgroupV2(); err == nil && unix.Access(own, unix.W_OK) == nil {
			m, err := cgroups.New(cgroups.V2, "", "minictr-"+id, id)
			return m, true, err
		}
	}
	if r := s.Linux.Resources; r != nil && (r.Memory != nil || r.CPU != nil || r.Pids != nil || r.BlockIO != nil || len(r.HugepageLimits) > 0 || len(r.Unified) > 0) {
		return nil, false, fmt.Errorf("linux.resources: a rootless container gets no cgroup on this host (cgroup v1, or v2 without a delegated subtree): limits cannot be enforced; remove them or run as root")
	}
	// An empty manager: no directories, nothing to join, nothing to remove.
	return cgroups.Load(cgroups.V1, map[string]string{}), false, nil
}

func ownCgroupV2() (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return filepath.Join("/sys/fs/cgroup", p), nil
		}
	}
	return "", fmt.Errorf("no cgroup v2 entry in /proc/self/cgroup")
}

// writeIDMaps writes /proc/PID/uid_map and gid_map from the spec's mappings. Root writes them
// directly. A user may write one line mapping its own id; anything more goes through the
// setuid helpers newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
func writeIDMaps(pid int, s *specs.Spec) error {
	if s == nil || s.Linux == nil {
		return fmt.Errorf("write uid map: no mappings in the spec")
	}
	uidSelf := len(s.Linux.UIDMappings) == 1 && s.Linux.UIDMappings[0].HostID == uint32(os.Geteuid()) && s.Linux.UIDMappings[0].Size == 1
	gidSelf := len(s.Linux.GIDMappings) == 1 && s.Linux.GIDMappings[0].HostID == uint32(os.Getegid()) && s.Linux.GIDMappings[0].Size == 1
	if !rootless() || uidSelf {
		if err := writeMapFile(pid, "uid_map", s.Linux.UIDMappings); err != nil {
			return err
		}
	} else if err := mapHelper("newuidmap", pid, s.Linux.UIDMappings); err != nil {
		return err
	}
	if !rootless() || gidSelf {
		if rootless() {
			// An unprivileged writer of gid_map must first give up setgroups(2) in the namespace.
			path := fmt.Sprintf("/proc/%d/setgroups", pid)
			if err := os.WriteFile(path, []byte("deny"), 0); err != nil {
				return fmt.Errorf("write %s = deny: %w", path, err)
			}
		}
		return writeMapFile(pid, "gid_map", s.Linux.GIDMappings)
	}
	return mapHelper("newgidmap", pid, s.Linux.GIDMappings)
}

func writeMapFile(pid int, file string, maps []specs.LinuxIDMapping) error {
	var b strings.Builder
	for _, m := range maps {
		fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	path := fmt.Sprintf("/proc/%d/%s", pid, file)
	if err := os.WriteFile(path, []byte(b.String()), 0); err != nil {
		return fmt.Errorf("write %s = %q: %w", path, b.String(), err)
	}
	return nil
}

func mapHelper(helper string, pid int, maps []specs.LinuxIDMapping) error {
	path, err := exec.LookPath(helper)
	if err != nil {
		return fmt.Errorf("id mappings beyond your own id need %s (Debian package uidmap) and ranges in /etc/subuid and /etc/subgid: %w", helper, err)
	}
	args := []string{strconv.Itoa(pid)}
	for _, m := range maps {
		args = append(args, strconv.FormatUint(uint64(m.ContainerID), 10), strconv.FormatUint(uint64(m.HostID), 10), strconv.FormatUint(uint64(m.Size), 10))
	}
	if out, err := exec.Command(path, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", helper, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
