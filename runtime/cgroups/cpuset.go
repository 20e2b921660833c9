package cgroups

import (
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cpusetOps converts linux.resources.cpu.cpus/mems; the files have the same names on v1 and v2.
func cpusetOps(c *specs.LinuxCPU) []op {
	if c == nil {
		return nil
	}
	var ops []op
	if c.Cpus != "" {
		ops = append(ops, op{"set cpuset cpus", "cpuset", "cpuset.cpus", c.Cpus})
	}
	if c.Mems != "" {
		ops = append(ops, op{"set cpuset mems", "cpuset", "cpuset.mems", c.Mems})
	}
	return ops
}

// populateCpuset makes every v1 cpuset directory from just below root down to dir usable: a
// new v1 cpuset starts with empty cpus and mems, and no task can join it until both are set,
// so each empty one is copied from its parent, top-down.
func populateCpuset(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil
	}
	parent := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur := filepath.Join(parent, part)
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := readFile(cur, f)
			if err != nil {
				return fmt.Errorf("populate cpuset: read %s: %w", filepath.Join(cur, f), unwrapErrno(err))
			}
			if v != "" {
				continue
			}
			pv, err := readFile(parent, f)
			if err != nil {
				return fmt.Errorf("populate cpuset: read %s: %w", filepath.Join(parent, f), unwrapErrno(err))
			}
			if err := writeFile(cur, f, pv); err != nil {
				return fmt.Errorf("populate cpuset: %w", err)
			}
		}
		parent = cur
	}
	return nil
}
