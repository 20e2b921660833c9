package cgroups

// Stats are a cgroup's usage counters. Limits read 0 when unlimited.
type Stats struct {
	Memory MemoryStats `json:"memory"`
	Pids   PidsStats   `json:"pids"`
	CPU    CPUStats    `json:"cpu"`
}

// MemoryStats: bytes, and OOM counters. OOMKills > 0 means the kernel OOM-killed a process of
// the cgroup ("OOM killed").
type MemoryStats struct {
	Usage     uint64 `json:"usage"`
	MaxUsage  uint64 `json:"max_usage"` // v1 max_usage_in_bytes, v2 memory.peak (0 when absent)
	Limit     uint64 `json:"limit"`     // 0 = unlimited
	SwapUsage uint64 `json:"swap_usage"`
	Failcnt   uint64 `json:"failcnt"`    // v1: times the limit was hit; v2: memory.events max
	OOMEvents uint64 `json:"oom_events"` // v2 memory.events oom; v1: same as OOMKills
	OOMKills  uint64 `json:"oom_kills"`  // v1 memory.oom_control oom_kill; v2 memory.events oom_kill
	UnderOOM  bool   `json:"under_oom"`  // v1 only: a task is waiting in OOM (OOM killer disabled)
}

// PidsStats: the number of tasks, the limit (0 = unlimited) and how often a fork was refused.
type PidsStats struct {
	Current   uint64 `json:"current"`
	Limit     uint64 `json:"limit"`
	LimitHits uint64 `json:"limit_hits"` // pids.events max
}

// CPUStats: nanoseconds.
type CPUStats struct {
	UsageNS          uint64 `json:"usage_ns"`
	UserNS           uint64 `json:"user_ns"`
	SystemNS         uint64 `json:"system_ns"`
	ThrottledPeriods uint64 `json:"throttled_periods"`
	ThrottledNS      uint64 `json:"throttled_ns"`
}
