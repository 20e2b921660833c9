package compare

import (
	"fmt"
	"time"
)

// Metric is one numeric row of the table and one panel of the chart.
type Metric struct {
	Name  string // e.g. "start: launch to first line"
	Unit  string // e.g. "ms"
	Lower bool   // lower is better
	value func(r *Report, kind string) (float64, bool)
}

// Value is the metric of kind in r (false when that workload did not run).
func (m Metric) Value(r *Report, kind string) (float64, bool) { return m.value(r, kind) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func from(workload string, f func(Measurement) float64) func(*Report, string) (float64, bool) {
	return func(r *Report, kind string) (float64, bool) {
		m, ok := r.Get(kind, workload)
		if !ok {
			return 0, false
		}
		return f(m), true
	}
}

// Metrics are the rows of the table, in order.
var Metrics = []Metric{
	{"start: launch to first line", "ms", true, from("start", func(m Measurement) float64 { return ms(m.FirstLine) })},
	{"start: launch to exit", "ms", true, from("start", func(m Measurement) float64 { return ms(m.Total) })},
	{"cpu: throughput", "M ops/s", false, from("cpu", func(m Measurement) float64 { return m.Throughput() / 1e6 })},
	{"cpu: launch to exit", "ms", true, from("cpu", func(m Measurement) float64 { return ms(m.Total) })},
	{"syscall: throughput", "k ops/s", false, from("syscall", func(m Measurement) float64 { return m.Throughput() / 1e3 })},
	{"syscall: launch to exit", "ms", true, from("syscall", func(m Measurement) float64 { return ms(m.Total) })},
	{"peak RSS, largest process", "MiB", true, func(r *Report, kind string) (float64, bool) {
		var peak int64
		found := false
		for _, m := range r.Measurements {
			if m.Kind == kind {
				peak, found = max(peak, m.PeakRSS), true
			}
		}
		return float64(peak) / (1 << 20), found
	}},
	{"peak memory, container cgroup", "MiB", true, func(r *Report, kind string) (float64, bool) {
		var peak int64
		for _, m := range r.Measurements {
			if m.Kind == kind {
				peak = max(peak, m.TreePeak)
			}
		}
		return float64(peak) / (1 << 20), peak > 0
	}},
}

// format prints v with three significant digits or so.
func format(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// rows is the table as text cells: a header, the metrics, the facts.
func (r *Report) rows() [][]string {
	head := append([]string{""}, r.Kinds...)
	out := [][]string{head}
	for _, m := range Metrics {
		row := []string{m.Name + " (" + m.Unit + ")"}
		any := false
		for _, k := range r.Kinds {
			v, ok := m.Value(r, k)
			if !ok {
				row = append(row, "-")
				continue
			}
			any = true
			row = append(row, format(v))
		}
		if any {
			out = append(out, row)
		}
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no (host's)"
	}
	facts := []struct {
		name string
		f    func(Facts) string
	}{
		{"own kernel", func(f Facts) string { return yes(f.OwnKernel) }},
		{"own pid namespace", func(f Facts) string { return yes(f.OwnPIDNS) }},
		{"instruction set", func(f Facts) string { return f.ISA }},
		{"isolation boundary", func(f Facts) string { return f.Boundary }},
	}
	for _, fr := range facts {
		row := []string{fr.name}
		for _, k := range r.Kinds {
			row = append(row, fr.f(r.Facts[k]))
		}
		out = append(out, row)
	}
	return out
}
