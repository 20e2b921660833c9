package cgroups

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hugetlbOps converts linux.resources.hugepageLimits: v1 hugetlb.<size>.limit_in_bytes, v2
// hugetlb.<size>.max.
func hugetlbOps(mode Mode, limits []specs.LinuxHugepageLimit) []op {
	var ops []op
	for _, l := range limits {
		file := "hugetlb." + l.Pagesize + ".limit_in_bytes"
		if mode == V2 {
			file = "hugetlb." + l.Pagesize + ".max"
		}
		ops = append(ops, op{"set hugetlb " + l.Pagesize + " limit", "hugetlb", file, utoa(l.Limit)})
	}
	return ops
}

// networkV1 converts linux.resources.network (v1 net_cls and net_prio only).
func networkV1(n *specs.LinuxNetwork) []op {
	if n == nil {
		return nil
	}
	var ops []op
	if n.ClassID != nil {
		ops = append(ops, op{"set network class id", "net_cls", "net_cls.classid", utoa(uint64(*n.ClassID))})
	}
	for _, p := range n.Priorities {
		ops = append(ops, op{"set network priority", "net_prio", "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)})
	}
	return ops
}

// rdmaOps converts linux.resources.rdma; rdma.max is the same on v1 and v2.
func rdmaOps(r map[string]specs.LinuxRdma) []op {
	var ops []op
	for dev, l := range r {
		var parts []string
		if l.HcaHandles != nil {
			parts = append(parts, fmt.Sprintf("hca_handle=%d", *l.HcaHandles))
		}
		if l.HcaObjects != nil {
			parts = append(parts, fmt.Sprintf("hca_object=%d", *l.HcaObjects))
		}
		if len(parts) > 0 {
			ops = append(ops, op{"set rdma limit", "rdma", "rdma.max", dev + " " + strings.Join(parts, " ")})
		}
	}
	return ops
}
