package compare

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
)

// Facts are what isolates a kind, independent of any measurement.
type Facts struct {
	OwnKernel bool
	OwnPIDNS  bool
	ISA       string // the instruction set the workload's code is in
	Boundary  string // what stands between the workload and the host
}

func factsOf(kind, accel string) Facts {
	arch := map[string]string{"amd64": "x86-64", "arm64": "arm64"}[goruntime.GOARCH]
	if arch == "" {
		arch = goruntime.GOARCH
	}
	switch kind {
	case Container:
		return Facts{OwnPIDNS: true, ISA: arch + ", native", Boundary: "namespaces, cgroups, seccomp"}
	case VM:
		return Facts{ISA: "minictr bytecode", Boundary: "interpreter, --dir grants"}
	case MicroVM:
		how := "KVM"
		if strings.Contains(accel, "TCG") {
			how = "emulated (TCG)"
		}
		return Facts{OwnKernel: true, OwnPIDNS: true, ISA: arch + ", " + how, Boundary: "virtual machine"}
	}
	return Facts{ISA: arch + ", native", Boundary: "none"}
}

// machine is a one-line description of where the numbers were measured.
func machine() string {
	kernel := "?"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%d CPUs, Linux %s, %s/%s", goruntime.NumCPU(), kernel, goruntime.GOOS, goruntime.GOARCH)
}
