package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// blkioV1 converts linux.resources.blockIO for the v1 blkio controller. Weights go to
// blkio.weight (CFQ/BFQ kernels); kernels with BFQ only name it blkio.bfq.weight, which the
// manager picks when blkio.weight is missing (see v1Manager.Set).
func blkioV1(b *specs.LinuxBlockIO) []op {
	if b == nil {
		return nil
	}
	var ops []op
	if b.Weight != nil && *b.Weight != 0 {
		ops = append(ops, op{"set blkio weight", "blkio", "blkio.weight", utoa(uint64(*b.Weight))})
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		ops = append(ops, op{"set blkio leaf weight", "blkio", "blkio.leaf_weight", utoa(uint64(*b.LeafWeight))})
	}
	for _, d := range b.WeightDevice {
		if d.Weight != nil {
			ops = append(ops, op{"set blkio device weight", "blkio", "blkio.weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.Weight)})
		}
		if d.LeafWeight != nil {
			ops = append(ops, op{"set blkio device leaf weight", "blkio", "blkio.leaf_weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.LeafWeight)})
		}
	}
	for _, t := range []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			ops = append(ops, op{"set blkio throttle", "blkio", t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)})
		}
	}
	return ops
}
