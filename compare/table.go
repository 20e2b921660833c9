package compare

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteTable prints the comparison as an aligned table, then the sizes, the accelerator and
// the skipped kinds.
func (r *Report) WriteTable(w io.Writer) error {
	rows := r.rows()
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for ri, row := range rows {
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		b.WriteString("\n")
		if ri == 0 {
			total := len(width)*2 - 2
			for _, n := range width {
				total += n
			}
			b.WriteString(strings.Repeat("-", total) + "\n")
		}
	}
	b.WriteString(r.notes("", ""))
	_, err := io.WriteString(w, b.String())
	return err
}

// notes are the lines under the table: what ran, how the microVM ran, what was skipped.
func (r *Report) notes(prefix, code string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sworkloads: %s; median of %d run(s) each; measured on %s\n", prefix, r.sizes(code), r.Runs, r.Machine)
	if r.Accel != "" {
		fmt.Fprintf(&b, "%smicrovm: %s%s%s\n", prefix, code, r.Accel, code)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "%sskipped %s: %s\n", prefix, s.Kind, s.Reason)
	}
	if c := r.checksMismatch(); c != "" {
		fmt.Fprintf(&b, "%sWARNING: %s\n", prefix, c)
	}
	return b.String()
}

func (r *Report) sizes(code string) string {
	var parts []string
	for _, w := range r.Workloads {
		for _, m := range r.Measurements {
			if m.Workload == w {
				if w == "start" {
					parts = append(parts, code+"start"+code)
				} else {
					parts = append(parts, fmt.Sprintf("%s%s %d%s", code, w, m.Ops, code))
				}
				break
			}
		}
	}
	return strings.Join(parts, ", ")
}

// checksMismatch reports a workload whose checksum differs between kinds (it would mean they
// did not run the same computation).
func (r *Report) checksMismatch() string {
	for _, w := range r.Workloads {
		first := ""
		for _, m := range r.Measurements {
			if m.Workload != w {
				continue
			}
			if first == "" {
				first = m.Check
			} else if m.Check != first {
				return fmt.Sprintf("workload %s: checksum %s on %s differs from %s", w, m.Check, m.Kind, first)
			}
		}
	}
	return ""
}
