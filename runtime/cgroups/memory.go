package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// memoryV1 converts linux.resources.memory for the v1 memory controller.
//
// The spec's swap is the memory+swap total, which is exactly v1's memory.memsw.limit_in_bytes.
// The kernel keeps limit <= memsw at every moment, so the order of the two writes depends on
// the current limit: when the new memsw is at least the current limit, memsw goes first (it is
// valid now, and the new limit is <= the new memsw); otherwise the limit goes first (it lowers
// below both the current and the new memsw).
func memoryV1(m *specs.LinuxMemory, rd reader) ([]op, error) {
	if m == nil {
		return nil, nil
	}
	var ops []op
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate && set(m.Limit) && *m.Limit > 0 {
		if err := checkUsage(rd, "memory.usage_in_bytes", *m.Limit); err != nil {
			return nil, err
		}
	}
	limit := op{"set memory limit", "memory", "memory.limit_in_bytes", ""}
	memsw := op{"set memory+swap limit", "memory", "memory.memsw.limit_in_bytes", ""}
	if set(m.Limit) {
		limit.value = itoa(*m.Limit)
	}
	if set(m.Swap) {
		memsw.value = itoa(*m.Swap)
		if _, err := rd("memory", memsw.file); err != nil {
			return nil, fmt.Errorf("set memory+swap limit %d: memory.memsw.limit_in_bytes is not available (swap accounting is off; boot with swapaccount=1): %w", *m.Swap, err)
		}
	}
	switch {
	case limit.value != "" && memsw.value != "":
		swapFirst := *m.Swap == -1
		if !swapFirst {
			if s, err := rd("memory", "memory.limit_in_bytes"); err == nil {
				cur, unlimited, perr := parseUint(s)
				swapFirst = perr == nil && !unlimited && uint64(*m.Swap) >= cur
			}
		}
		if swapFirst {
			ops = append(ops, memsw, limit)
		} else {
			ops = append(ops, limit, memsw)
		}
	case limit.value != "":
		ops = append(ops, limit)
	case memsw.value != "":
		ops = append(ops, memsw)
	}
	if set(m.Reservation) {
		ops = append(ops, op{"set memory reservation", "memory", "memory.soft_limit_in_bytes", itoa(*m.Reservation)})
	}
	if set(m.KernelTCP) {
		ops = append(ops, op{"set kernel tcp memory limit", "memory", "memory.kmem.tcp.limit_in_bytes", itoa(*m.KernelTCP)})
	}
	// m.Kernel is deprecated by the spec and rejected by kernels >= 5.16: ignored.
	if m.Swappiness != nil {
		ops = append(ops, op{"set memory swappiness", "memory", "memory.swappiness", utoa(*m.Swappiness)})
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		ops = append(ops, op{"disable oom killer", "memory", "memory.oom_control", "1"})
	}
	if m.UseHierarchy != nil {
		v := "0"
		if *m.UseHierarchy {
			v = "1"
		}
		ops = append(ops, op{"set memory use_hierarchy", "memory", "memory.use_hierarchy", v})
	}
	return ops, nil
}

// checkUsage refuses a limit below the current usage (spec: checkBeforeUpdate).
func checkUsage(rd reader, file string, limit int64) error {
	s, err := rd("memory", file)
	if err != nil {
		return nil // cgroup not created yet: nothing is using memory
	}
	usage, _, err := parseUint(s)
	if err == nil && usage > uint64(limit) {
		return fmt.Errorf("set memory limit %d: below current usage %d (checkBeforeUpdate)", limit, usage)
	}
	return nil
}

// memoryStatsV1 fills the memory part of Stats from a v1 memory cgroup.
func memoryStatsV1(dir string, s *MemoryStats) {
	s.Usage, _, _ = readUint(dir, "memory.usage_in_bytes")
	s.MaxUsage, _, _ = readUint(dir, "memory.max_usage_in_bytes")
	s.Limit, _, _ = readUint(dir, "memory.limit_in_bytes")
	s.Failcnt, _, _ = readUint(dir, "memory.failcnt")
	if sw, _, err := readUint(dir, "memory.memsw.usage_in_bytes"); err == nil && sw >= s.Usage {
		s.SwapUsage = sw - s.Usage
	}
	if oc, err := readKeyed(dir, "memory.oom_control"); err == nil {
		s.OOMKills = oc["oom_kill"]
		s.UnderOOM = oc["under_oom"] != 0
	}
	// v1 has no OOM event counter besides oom_kill: count each kill as an event.
	s.OOMEvents = s.OOMKills
}
