package cgroups

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// memoryV2 converts linux.resources.memory for v2: limit -> memory.max, reservation ->
// memory.low, and swap, which the spec gives as memory+swap, -> memory.swap.max = swap - limit
// (swap alone). -1 is "max". swappiness, disableOOMKiller and the kernel limits have no v2 file
// and are ignored.
func memoryV2(m *specs.LinuxMemory, rd reader) ([]op, error) {
	if m == nil {
		return nil, nil
	}
	var ops []op
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate && set(m.Limit) && *m.Limit > 0 {
		if err := checkUsage(rd, "memory.current", *m.Limit); err != nil {
			return nil, err
		}
	}
	if set(m.Limit) {
		ops = append(ops, op{"set memory limit", "memory", "memory.max", maxOr(*m.Limit)})
	}
	if set(m.Swap) {
		v, err := swapV2(m.Limit, *m.Swap, rd)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op{"set swap limit", "memory", "memory.swap.max", v})
	}
	if set(m.Reservation) {
		ops = append(ops, op{"set memory reservation", "memory", "memory.low", maxOr(*m.Reservation)})
	}
	return ops, nil
}

// swapV2 computes memory.swap.max from the spec's memory+swap total. Without a limit in the
// same request, the cgroup's current memory.max is used (an update of swap alone).
func swapV2(limit *int64, swap int64, rd reader) (string, error) {
	if swap == -1 {
		return "max", nil
	}
	var l int64
	if set(limit) {
		l = *limit
	} else {
		s, err := rd("memory", "memory.max")
		if err != nil {
			return "", fmt.Errorf("set swap limit %d: needs a memory limit (none given, and memory.max unreadable: %w)", swap, err)
		}
		v, unlimited, err := parseUint(s)
		if err != nil || unlimited {
			return "", fmt.Errorf("set swap limit %d: needs a memory limit (memory.max is %q)", swap, s)
		}
		l = int64(v)
	}
	if l == -1 {
		return "", fmt.Errorf("set swap limit %d: memory limit is unlimited", swap)
	}
	if swap < l {
		return "", fmt.Errorf("set swap limit: swap %d (memory+swap) is below memory limit %d", swap, l)
	}
	return itoa(swap - l), nil
}

// maxOr renders -1 as "max".
func maxOr(v int64) string {
	if v == -1 {
		return "max"
	}
	return itoa(v)
}

// cpuV2 converts linux.resources.cpu (cpuset is in cpuset.go): shares -> cpu.weight, quota and
// period -> cpu.max "QUOTA PERIOD" (quota "max" when -1 or absent), burst -> cpu.max.burst.
func cpuV2(c *specs.LinuxCPU, rd reader) []op {
	if c == nil {
		return nil
	}
	if !set(c.Quota) && c.Period != nil && *c.Period != 0 {
		// A new period alone keeps the current quota (an update of the period only).
		if cur, err := rd("cpu", "cpu.max"); err == nil {
			if q, _, ok := strings.Cut(cur, " "); ok && q != "max" {
				if v, err := strconv.ParseInt(q, 10, 64); err == nil {
					c2 := *c
					c2.Quota = &v
					c = &c2
				}
			}
		}
	}
	var ops []op
	if c.Shares != nil && *c.Shares != 0 {
		ops = append(ops, op{"set cpu weight", "cpu", "cpu.weight", utoa(SharesToWeight(*c.Shares))})
	}
	if v := CPUMax(c.Quota, c.Period); v != "" {
		ops = append(ops, op{"set cpu max", "cpu", "cpu.max", v})
	}
	if c.Burst != nil {
		ops = append(ops, op{"set cpu burst", "cpu", "cpu.max.burst", utoa(*c.Burst)})
	}
	if c.Idle != nil {
		ops = append(ops, op{"set cpu idle", "cpu", "cpu.idle", itoa(*c.Idle)})
	}
	return ops
}

// CPUMax renders v2 cpu.max from the spec's quota and period ("" when neither is given).
func CPUMax(quota *int64, period *uint64) string {
	hasQ, hasP := set(quota), period != nil && *period != 0
	if !hasQ && !hasP {
		return ""
	}
	v := "max"
	if hasQ && *quota > 0 {
		v = itoa(*quota)
	}
	if hasP {
		v += " " + utoa(*period)
	}
	return v
}

// blkioV2 converts linux.resources.blockIO to io.weight (converted from the v1 scale) and
// io.max throttles.
func blkioV2(b *specs.LinuxBlockIO) []op {
	if b == nil {
		return nil
	}
	var ops []op
	if b.Weight != nil && *b.Weight != 0 {
		ops = append(ops, op{"set io weight", "io", "io.weight", "default " + utoa(BlkioWeightToIOWeight(*b.Weight))})
	}
	for _, d := range b.WeightDevice {
		if d.Weight != nil {
			ops = append(ops, op{"set io device weight", "io", "io.weight", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, BlkioWeightToIOWeight(*d.Weight))})
		}
	}
	for _, t := range []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice},
		{"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice},
		{"wiops", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			ops = append(ops, op{"set io max", "io", "io.max", fmt.Sprintf("%d:%d %s=%d", d.Major, d.Minor, t.key, d.Rate)})
		}
	}
	return ops
}

// unifiedOps writes linux.resources.unified as given, in key order; the key names the file and
// its prefix the controller.
func unifiedOps(u map[string]string) ([]op, error) {
	keys := make([]string, 0, len(u))
	for k := range u {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ops []op
	for _, k := range keys {
		ctrl, _, _ := strings.Cut(k, ".")
		ops = append(ops, op{"set unified " + k, ctrl, k, u[k]})
	}
	return ops, nil
}

// validUnified refuses keys that are not a plain control file of the cgroup, and the files
// that move or kill processes.
func validUnified(k, v string) error {
	switch {
	case k == "" || strings.ContainsAny(k, "/\x00") || strings.HasPrefix(k, ".") || !strings.Contains(k, "."):
		return fmt.Errorf("linux.resources.unified key %q: not a control file name", k)
	case k == "cgroup.procs" || k == "cgroup.threads" || k == "cgroup.kill":
		return fmt.Errorf("linux.resources.unified key %q: moving or killing processes is not a resource", k)
	case strings.ContainsRune(v, 0):
		return fmt.Errorf("linux.resources.unified[%q]: value contains a NUL byte", k)
	}
	return nil
}
