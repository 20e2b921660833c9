package compare

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Colours of the kinds in the chart.
var kindColour = map[string]string{Host: "#4e79a7", Container: "#59a14f", VM: "#f28e2b", MicroVM: "#e15759"}

// WriteSVG draws one panel per metric with one horizontal bar per kind, each scaled to the
// largest value of its panel; the value is written at the end of the bar. Hand-written SVG.
func (r *Report) WriteSVG(w io.Writer) error {
	const (
		width   = 760
		labelW  = 90
		barMaxW = 520
		barH    = 16
		gap     = 4
		titleH  = 22
		panelSp = 14
		marginT = 40
	)
	type panel struct {
		m    Metric
		vals []float64
		ok   []bool
	}
	var panels []panel
	for _, m := range Metrics {
		p := panel{m: m}
		any := false
		for _, k := range r.Kinds {
			v, ok := m.Value(r, k)
			p.vals, p.ok = append(p.vals, v), append(p.ok, ok)
			any = any || ok
		}
		if any {
			panels = append(panels, p)
		}
	}
	panelH := titleH + len(r.Kinds)*(barH+gap) + panelSp
	height := marginT + len(panels)*panelH + 40

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="10" y="24" font-size="15" font-weight="bold">minictr compare: one workload as a host process, a container, VM bytecode and a microVM</text>`+"\n")
	y := marginT
	for _, p := range panels {
		better := "higher is better"
		if p.m.Lower {
			better = "lower is better"
		}
		top, low := 0.0, math.Inf(1)
		for i, v := range p.vals {
			top = math.Max(top, v)
			if p.ok[i] && v > 0 {
				low = math.Min(low, v)
			}
		}
		// A panel whose values span more than 100x (a microVM boot next to a process start)
		// gets a log scale, so the small bars stay readable.
		logScale := top > 0 && top/low > 100
		scale := ""
		if logScale {
			scale = ", log scale"
		}
		fmt.Fprintf(&b, `<text x="10" y="%d" font-weight="bold">%s (%s, %s%s)</text>`+"\n", y+14, esc(p.m.Name), esc(p.m.Unit), better, scale)
		y += titleH
		for i, k := range r.Kinds {
			fmt.Fprintf(&b, `<text x="10" y="%d">%s</text>`+"\n", y+barH-4, esc(k))
			bw := 0.0
			switch {
			case top <= 0 || !p.ok[i] || p.vals[i] <= 0:
			case logScale: // low/10 maps to 0, top to the full width
				bw = math.Max(1, math.Log10(p.vals[i]/(low/10))/math.Log10(top/(low/10))*barMaxW)
			default:
				bw = math.Max(1, p.vals[i]/top*barMaxW)
			}
			label := "n/a"
			if p.ok[i] {
				label = format(p.vals[i])
			}
			fmt.Fprintf(&b, `<rect class="bar" data-kind="%s" data-metric="%s" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %s %s</title></rect>`+"\n",
				esc(k), esc(p.m.Name), labelW, y, bw, barH, kindColour[k], esc(k), esc(p.m.Name), label, esc(p.m.Unit))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(labelW)+bw+5, y+barH-4, label)
			y += barH + gap
		}
		y += panelSp
	}
	note := "workloads: " + r.sizes("") + "; median of " + fmt.Sprint(r.Runs) + " run(s); " + r.Machine
	fmt.Fprintf(&b, `<text x="10" y="%d" font-size="11" fill="#555555">%s</text>`+"\n", y+6, esc(note))
	if r.Accel != "" {
		fmt.Fprintf(&b, `<text x="10" y="%d" font-size="11" fill="#555555">microvm: %s</text>`+"\n", y+22, esc(r.Accel))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func esc(s string) string { return html.EscapeString(s) }
