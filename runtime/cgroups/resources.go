package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// reader reads a control file of a controller (used by converters whose write order depends on
// the current value, like v1 memory and swap).
type reader func(ctrl, file string) (string, error)

// resourceOps converts the spec's resources into the ordered control-file writes for mode. It
// is the one place that walks LinuxResources; the per-controller converters are beside it
// (memory.go, cpu.go, cpuset.go, pids.go, devices.go, blkio.go, hugetlb.go for v1; v2res.go).
func resourceOps(mode Mode, r *specs.LinuxResources, rd reader) ([]op, error) {
	if r == nil {
		return nil, nil
	}
	if err := validateResources(r); err != nil {
		return nil, err
	}
	var convs []func() ([]op, error)
	if mode == V2 {
		if r.Network != nil && (r.Network.ClassID != nil || len(r.Network.Priorities) > 0) {
			return nil, fmt.Errorf("set network class/priorities: the net_cls and net_prio controllers do not exist on cgroup v2")
		}
		if r.CPU != nil && (r.CPU.RealtimePeriod != nil || r.CPU.RealtimeRuntime != nil) {
			return nil, fmt.Errorf("set cpu realtime period/runtime: not supported on cgroup v2")
		}
		convs = []func() ([]op, error){
			func() ([]op, error) { return memoryV2(r.Memory, rd) },
			func() ([]op, error) { return cpuV2(r.CPU, rd), nil },
			func() ([]op, error) { return cpusetOps(r.CPU), nil },
			func() ([]op, error) { return pidsOps(r.Pids), nil },
			func() ([]op, error) { return blkioV2(r.BlockIO), nil },
			func() ([]op, error) { return hugetlbOps(V2, r.HugepageLimits), nil },
			func() ([]op, error) { return rdmaOps(r.Rdma), nil },
			// Unified last, so that its raw values override the converted ones.
			func() ([]op, error) { return unifiedOps(r.Unified) },
		}
	} else {
		if len(r.Unified) > 0 {
			return nil, fmt.Errorf("set unified resources: linux.resources.unified needs cgroup v2 (this host is v1)")
		}
		convs = []func() ([]op, error){
			func() ([]op, error) { return devicesV1(r.Devices) },
			func() ([]op, error) { return memoryV1(r.Memory, rd) },
			func() ([]op, error) { return cpuV1(r.CPU), nil },
			func() ([]op, error) { return cpusetOps(r.CPU), nil },
			func() ([]op, error) { return pidsOps(r.Pids), nil },
			func() ([]op, error) { return blkioV1(r.BlockIO), nil },
			func() ([]op, error) { return hugetlbOps(V1, r.HugepageLimits), nil },
			func() ([]op, error) { return networkV1(r.Network), nil },
			func() ([]op, error) { return rdmaOps(r.Rdma), nil },
		}
	}
	var ops []op
	for _, c := range convs {
		o, err := c()
		if err != nil {
			return nil, err
		}
		ops = append(ops, o...)
	}
	return ops, nil
}

// validateResources checks values that make sense on neither version, before any write.
func validateResources(r *specs.LinuxResources) error {
	if m := r.Memory; m != nil {
		for _, f := range []struct {
			name string
			v    *int64
		}{{"limit", m.Limit}, {"reservation", m.Reservation}, {"swap", m.Swap}} {
			if f.v != nil && *f.v < -1 {
				return fmt.Errorf("memory %s = %d: must be -1 (unlimited) or a byte count", f.name, *f.v)
			}
		}
		if m.Limit != nil && m.Swap != nil && *m.Limit > 0 && *m.Swap > 0 && *m.Swap < *m.Limit {
			return fmt.Errorf("memory swap = %d is below memory limit = %d: swap is the memory+swap total and must be >= the limit", *m.Swap, *m.Limit)
		}
		if m.Limit != nil && m.Swap != nil && *m.Limit == -1 && *m.Swap > 0 {
			return fmt.Errorf("memory swap = %d with an unlimited memory limit: swap (memory+swap) cannot be below unlimited memory", *m.Swap)
		}
		if m.Swappiness != nil && *m.Swappiness > 100 {
			return fmt.Errorf("memory swappiness = %d: must be 0..100", *m.Swappiness)
		}
	}
	if c := r.CPU; c != nil {
		if c.Quota != nil && *c.Quota < -1 {
			return fmt.Errorf("cpu quota = %d: must be -1 (unlimited) or microseconds", *c.Quota)
		}
	}
	for i, d := range r.Devices {
		if _, err := DeviceRule(d); err != nil {
			return fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
	}
	for k, v := range r.Unified {
		if err := validUnified(k, v); err != nil {
			return err
		}
	}
	return nil
}

// itoa formats a signed value.
func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// utoa formats an unsigned value.
func utoa(v uint64) string { return strconv.FormatUint(v, 10) }

// set reports whether an optional number is given (nil and 0 both mean "leave as is", as runc
// reads them).
func set(v *int64) bool { return v != nil && *v != 0 }

// SharesToWeight converts v1 cpu.shares (2..262144, default 1024) to v2 cpu.weight (1..10000,
// default 100): weight = 1 + ((shares-2)*9999)/262142. Zero stays zero (unset).
func SharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	if shares < 2 {
		shares = 2
	}
	if shares > 262144 {
		shares = 262144
	}
	return 1 + ((shares-2)*9999)/262142
}

// BlkioWeightToIOWeight converts v1 blkio.weight (10..1000) to v2 io.weight (1..10000).
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	if w < 10 {
		w = 10
	}
	if w > 1000 {
		w = 1000
	}
	return 1 + (uint64(w)-10)*9999/990
}
