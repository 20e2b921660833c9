package cgroups

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cpuV1 converts linux.resources.cpu for the v1 cpu controller (cpuset is in cpuset.go). The
// period is written before the quota, as the kernel checks the quota against it.
func cpuV1(c *specs.LinuxCPU) []op {
	if c == nil {
		return nil
	}
	var ops []op
	if c.Shares != nil && *c.Shares != 0 {
		ops = append(ops, op{"set cpu shares", "cpu", "cpu.shares", utoa(*c.Shares)})
	}
	if c.Period != nil && *c.Period != 0 {
		ops = append(ops, op{"set cpu period", "cpu", "cpu.cfs_period_us", utoa(*c.Period)})
	}
	if set(c.Quota) {
		ops = append(ops, op{"set cpu quota", "cpu", "cpu.cfs_quota_us", itoa(*c.Quota)})
	}
	if c.Burst != nil {
		ops = append(ops, op{"set cpu burst", "cpu", "cpu.cfs_burst_us", utoa(*c.Burst)})
	}
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		ops = append(ops, op{"set cpu realtime period", "cpu", "cpu.rt_period_us", utoa(*c.RealtimePeriod)})
	}
	if set(c.RealtimeRuntime) {
		ops = append(ops, op{"set cpu realtime runtime", "cpu", "cpu.rt_runtime_us", itoa(*c.RealtimeRuntime)})
	}
	if c.Idle != nil {
		ops = append(ops, op{"set cpu idle", "cpu", "cpu.idle", itoa(*c.Idle)})
	}
	return ops
}

// cpuStatsV1 reads cpuacct usage (nanoseconds; user/system from USER_HZ ticks) and cpu
// throttling.
func cpuStatsV1(cpuDir, acctDir string, s *CPUStats) {
	if acctDir != "" {
		s.UsageNS, _, _ = readUint(acctDir, "cpuacct.usage")
		if st, err := readKeyed(acctDir, "cpuacct.stat"); err == nil {
			const nsPerTick = 1e9 / 100 // USER_HZ is 100 on every Linux ABI
			s.UserNS = st["user"] * nsPerTick
			s.SystemNS = st["system"] * nsPerTick
		}
	}
	if cpuDir != "" {
		if st, err := readKeyed(cpuDir, "cpu.stat"); err == nil {
			s.ThrottledPeriods = st["nr_throttled"]
			s.ThrottledNS = st["throttled_time"]
		}
	}
}
