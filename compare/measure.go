package compare

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measure starts cmd, timestamps the first line it prints on stdout, parses the workload's
// result line and takes the peak RSS from wait4's rusage.
//
// ru_maxrss of a waited child is the largest resident set of that child and of every
// descendant it waited for, so it is the largest single process of the tree (qemu for the
// microVM, the interpreter for the VM, the workload or the runtime for a container), not the
// sum of the tree.
func measure(ctx context.Context, cmd *exec.Cmd, kind, workload string) (Measurement, error) {
	m := Measurement{Kind: kind, Workload: workload}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return m, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return m, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m.FirstLine == 0 {
			m.FirstLine = time.Since(t0)
		}
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	werr := cmd.Wait()
	m.Total = time.Since(t0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.PeakRSS = ru.Maxrss << 10 // KiB on Linux
	}
	argv := strings.Join(cmd.Args, " ")
	if werr != nil {
		return m, fmt.Errorf("%s: %w\nstdout: %s\nstderr: %s", argv, werr, strings.Join(lines, "\n"), lastLines(stderr.String(), 10))
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "ops=") {
			if err := parseResult(l, &m); err != nil {
				return m, fmt.Errorf("%s: %w", argv, err)
			}
			return m, nil
		}
	}
	return m, fmt.Errorf("%s: no result line (ops=N seconds=S) in its output:\n%s\nstderr: %s", argv, strings.Join(lines, "\n"), lastLines(stderr.String(), 10))
}

// parseResult reads "ops=N seconds=S check=HEX".
func parseResult(line string, m *Measurement) error {
	seen := 0
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		var err error
		switch k {
		case "ops":
			m.Ops, err = strconv.ParseInt(v, 10, 64)
			seen++
		case "seconds":
			m.Seconds, err = strconv.ParseFloat(v, 64)
			seen++
		case "check":
			m.Check = v
		}
		if err != nil {
			return fmt.Errorf("result line %q: field %s: %w", line, k, err)
		}
	}
	if seen != 2 {
		return fmt.Errorf("result line %q: want ops=N seconds=S", line)
	}
	return nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
