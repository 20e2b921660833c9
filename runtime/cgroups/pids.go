package cgroups

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// pidsOps converts linux.resources.pids; pids.max is the same on v1 and v2. A limit <= 0 is
// "no limit" ("max").
func pidsOps(p *specs.LinuxPids) []op {
	if p == nil || p.Limit == nil {
		return nil
	}
	v := "max"
	if *p.Limit > 0 {
		v = itoa(*p.Limit)
	}
	return []op{{"set pids limit", "pids", "pids.max", v}}
}

// pidsStats reads pids.current and pids.max (Limit 0 = unlimited); same files on v1 and v2.
func pidsStats(dir string, s *PidsStats) {
	s.Current, _, _ = readUint(dir, "pids.current")
	s.Limit, _, _ = readUint(dir, "pids.max")
	if ev, err := readKeyed(dir, "pids.events"); err == nil {
		s.LimitHits = ev["max"]
	}
}
