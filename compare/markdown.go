package compare

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown prints the README's comparison section from this report: the table as
// Markdown, the notes, and the command that produced it.
func (r *Report) WriteMarkdown(w io.Writer, svgPath string) error {
	var b strings.Builder
	b.WriteString("## Container, process VM and microVM, measured\n\n")
	b.WriteString("`minictr compare` runs one workload as a host process, in a container, as bytecode in the\n")
	b.WriteString("process VM and in a microVM (`make compare` writes the chart and this section):\n\n")
	rows := r.rows()
	for i, row := range rows {
		cells := make([]string, len(row))
		for j, c := range row {
			cells[j] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		if i == 0 {
			b.WriteString("|---" + strings.Repeat("|---:", len(row)-1) + "|\n")
		}
	}
	b.WriteString("\n")
	b.WriteString(r.notes("- ", "`"))
	b.WriteString("- start latency is launch to the workload's first output line; throughput is measured by the\n")
	b.WriteString("  loop itself; peak RSS is wait4's ru_maxrss, the largest single process of the tree (the\n")
	b.WriteString("  runtime for the container, qemu for the microVM); the container's cgroup peak is the whole\n")
	b.WriteString("  tree inside it. Details: docs/compare.md\n")
	if svgPath != "" {
		fmt.Fprintf(&b, "\n![minictr compare](%s)\n", svgPath)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
