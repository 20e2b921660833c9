// Package compare runs one workload four ways (a host process, a container, bytecode in the
// process VM, a guest of a microVM) and reports start latency, total time, peak memory and
// throughput side by side, with the isolation facts of each kind. `minictr compare` is its CLI.
//
// Every kind is started as a child process of the binary Options.Binary, so the numbers are what
// a user of the minictr command line sees:
//
//	host       minictr workload ARGS
//	container  minictr --root STATE run -b BUNDLE ID   (rootfs: the static minictr, /tmp a tmpfs)
//	vm         minictr vm run workload.mbc --dir HOSTTMP:/tmp -- ARGS   (compiled once beforehand)
//	microvm    minictr vmm exec --rootfs DIR -- /minictr workload ARGS
package compare

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"time"
)

// Kinds, in the order of every table and chart.
const (
	Host      = "host"
	Container = "container"
	VM        = "vm"
	MicroVM   = "microvm"
)

// AllKinds are the kinds in display order.
var AllKinds = []string{Host, Container, VM, MicroVM}

// AllWorkloads are the workloads --workload all runs, in order.
var AllWorkloads = []string{"start", "cpu", "syscall"}

// Options is one comparison.
type Options struct {
	Binary     string   // a static minictr (its workload verb runs on every kind)
	Kinds      []string // default AllKinds
	Workloads  []string // default AllWorkloads
	Runs       int      // runs per kind and workload; the median is reported (default 1)
	CPUOps     int      // xorshift steps of the cpu workload (default DefaultCPUOps)
	SyscallOps int      // write+read round trips of the syscall workload (default DefaultSyscallOps)
	Timeout    time.Duration
	Progress   io.Writer // one line per run (nil: none)
}

// Default sizes: a full comparison takes well under a minute on a 2-core machine with the
// microVM under qemu TCG (three boots of ~3 s each dominate).
const (
	DefaultCPUOps     = 30_000_000
	DefaultSyscallOps = 2000
)

// Measurement is one run of one workload on one kind (the median of Options.Runs runs,
// field by field).
type Measurement struct {
	Kind, Workload string
	Ops            int64
	FirstLine      time.Duration // launch to the workload's first output line
	Total          time.Duration // launch to exit of the whole tree
	Seconds        float64       // the loop's own time, measured inside the workload
	PeakRSS        int64         // bytes: the largest resident set of any process in the tree
	TreePeak       int64         // bytes: peak of the container's memory cgroup (0: not measured)
	Check          string        // the workload's checksum (the same on every kind)
}

// Throughput is ops per second of the loop (0 for start).
func (m Measurement) Throughput() float64 {
	if m.Seconds <= 0 || m.Ops == 0 {
		return 0
	}
	return float64(m.Ops) / m.Seconds
}

// Skipped is a kind that could not run here, with the reason.
type Skipped struct{ Kind, Reason string }

// Report is the whole comparison.
type Report struct {
	Kinds        []string // kinds that ran, in display order
	Workloads    []string
	Measurements []Measurement
	Skipped      []Skipped
	Facts        map[string]Facts
	Runs         int
	Accel        string // how the microVM ran, e.g. "qemu TCG (KVM here is kvm_pvm ...)"
	Machine      string // CPUs and kernel of the machine that measured
}

// Get returns the measurement of kind and workload.
func (r *Report) Get(kind, workload string) (Measurement, bool) {
	for _, m := range r.Measurements {
		if m.Kind == kind && m.Workload == workload {
			return m, true
		}
	}
	return Measurement{}, false
}

// Run runs the comparison. A kind that cannot run here (not root, no qemu, a dynamic binary) is
// skipped with its reason; a kind that fails once it started is an error.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Binary == "" {
		return nil, fmt.Errorf("compare: no minictr binary given")
	}
	if len(o.Kinds) == 0 {
		o.Kinds = AllKinds
	}
	if len(o.Workloads) == 0 {
		o.Workloads = AllWorkloads
	}
	for _, k := range o.Kinds {
		if !slices.Contains(AllKinds, k) {
			return nil, fmt.Errorf("compare: kind %q: want one of host, container, vm, microvm", k)
		}
	}
	for _, w := range o.Workloads {
		if !slices.Contains(AllWorkloads, w) {
			return nil, fmt.Errorf("compare: workload %q: want cpu, syscall, start or all", w)
		}
	}
	if o.Runs <= 0 {
		o.Runs = 1
	}
	if o.CPUOps <= 0 {
		o.CPUOps = DefaultCPUOps
	}
	if o.SyscallOps <= 0 {
		o.SyscallOps = DefaultSyscallOps
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	work, err := os.MkdirTemp("", "minictr-compare-")
	if err != nil {
		return nil, fmt.Errorf("compare: temp dir: %w", err)
	}
	defer os.RemoveAll(work)

	rep := &Report{Workloads: o.Workloads, Runs: o.Runs, Facts: map[string]Facts{}, Machine: machine()}
	for _, kind := range AllKinds { // display order whatever the order of --kinds
		if !slices.Contains(o.Kinds, kind) {
			continue
		}
		l, reason, err := newLauncher(ctx, kind, o.Binary, work)
		if err != nil {
			return nil, fmt.Errorf("compare: prepare %s: %w", kind, err)
		}
		if reason != "" {
			rep.Skipped = append(rep.Skipped, Skipped{kind, reason})
			continue
		}
		if kind == MicroVM {
			rep.Accel = l.accel
		}
		rep.Kinds = append(rep.Kinds, kind)
		rep.Facts[kind] = factsOf(kind, l.accel)
		for _, w := range o.Workloads {
			n := 0
			switch w {
			case "cpu":
				n = o.CPUOps
			case "syscall":
				n = o.SyscallOps
			}
			var runs []Measurement
			for i := 0; i < o.Runs; i++ {
				m, err := l.run(ctx, w, n, o.Timeout)
				if err != nil {
					return nil, fmt.Errorf("compare: %s, workload %s: %w", kind, w, err)
				}
				if o.Progress != nil {
					fmt.Fprintf(o.Progress, "compare: %-9s %-7s run %d/%d: first line %s, total %s\n",
						kind, w, i+1, o.Runs, m.FirstLine.Round(time.Microsecond), m.Total.Round(time.Microsecond))
				}
				runs = append(runs, m)
			}
			rep.Measurements = append(rep.Measurements, median(runs))
		}
		l.close()
	}
	return rep, nil
}

// median takes the median of each field separately (runs of one kind and workload).
func median(runs []Measurement) Measurement {
	m := runs[0]
	pick := func(get func(Measurement) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	m.FirstLine = time.Duration(pick(func(r Measurement) float64 { return float64(r.FirstLine) }))
	m.Total = time.Duration(pick(func(r Measurement) float64 { return float64(r.Total) }))
	m.Seconds = pick(func(r Measurement) float64 { return r.Seconds })
	m.PeakRSS = int64(pick(func(r Measurement) float64 { return float64(r.PeakRSS) }))
	m.TreePeak = int64(pick(func(r Measurement) float64 { return float64(r.TreePeak) }))
	return m
}
