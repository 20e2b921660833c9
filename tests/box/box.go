// Package box runs minictr's cgroup-related tests inside a guest kernel with cgroup v2: the
// Debian kernel under qemu's microvm machine, an initramfs holding minictr, the test binaries
// (compiled on the host with `go test -c`), the probe and busybox, and tests/box/boxinit, which
// mounts cgroup2 and runs the suites. The guest's `go test -v` output comes back over the
// serial console; this package parses it into one result per guest test, which box_test.go
// reports as ordinary subtests. It also checks the Vagrantfile and the provisioning script.
// See docs/box.md.
package box

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Plan is what the guest runs; boxinit reads it as JSON at PlanPath (the two definitions
// mirror each other: boxinit is a separate static program).
type Plan struct {
	Suites []Suite `json:"suites"`
}

// Suite is one test binary run in the guest.
type Suite struct {
	Name    string   `json:"name"`
	Bin     string   `json:"bin"`
	Dir     string   `json:"dir"`
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Timeout string   `json:"timeout"`
}

// PlanPath is the plan's place in the initramfs.
const PlanPath = "box/plan.json"

// Result is one guest test's outcome, as its `--- PASS/FAIL/SKIP` line gave it.
type Result struct {
	Suite   string
	Test    string // full name, subtests included (TestA/sub)
	Status  string // PASS, FAIL or SKIP
	Elapsed string // as go test printed it, e.g. "1.25s"
	Output  []string
}

// SuiteEnd is a suite's end marker.
type SuiteEnd struct {
	Suite   string
	Exit    int
	Elapsed string
}

var (
	// Anywhere in the line: a test that printed without a final newline shares its line.
	resultRE   = regexp.MustCompile(`--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+s)\)\s*$`)
	suiteEndRE = regexp.MustCompile(`^BOX: suite (\S+) exit=(-?\d+) elapsed=(\S+)$`)
	doneRE     = regexp.MustCompile(`^BOX: done failed=(\d+)$`)
	headerRE   = regexp.MustCompile(`^=== (RUN|NAME|CONT|PAUSE)\s+(\S+)\s*$`)
)

// Parser turns the console's lines into results. It keeps each guest test's output (log
// lines, the reason of a skip or a failure) to attach to its result.
type Parser struct {
	suite   string
	current string
	output  map[string][]string

	// Done is set by the final marker; Failed is its count of suites that did not exit 0.
	Done   bool
	Failed int
	// Setup holds boxinit's error if it could not prepare the guest.
	Setup string
	// Ends are the suites' end markers in order.
	Ends []SuiteEnd
	// Header is boxinit's description of the guest (kernel, controllers, memory).
	Header string
}

// maxOutputLines bounds what is kept per test (a runaway test must not fill the host's memory).
const maxOutputLines = 400

// Line feeds one console line (without its newline; a trailing \r is dropped) and returns a
// result when the line ends a test.
func (p *Parser) Line(line string) *Result {
	line = strings.TrimRight(line, "\r")
	if p.output == nil {
		p.output = map[string][]string{}
	}
	switch {
	case strings.HasPrefix(line, "BOX: "):
		return p.marker(line)
	case p.suite == "":
		return nil // kernel and init messages before the first suite
	}
	if m := headerRE.FindStringSubmatch(line); m != nil {
		p.current = m[2]
		return nil
	}
	if m := resultRE.FindStringSubmatch(line); m != nil {
		name := m[2]
		r := &Result{Suite: p.suite, Test: name, Status: m[1], Elapsed: m[3], Output: p.output[name]}
		delete(p.output, name)
		// The output that follows a parent's subtests belongs to the parent again.
		if i := strings.LastIndexByte(name, '/'); i > 0 {
			p.current = name[:i]
		}
		return r
	}
	if p.current != "" && line != "PASS" && line != "FAIL" {
		if o := p.output[p.current]; len(o) < maxOutputLines {
			p.output[p.current] = append(o, line)
		}
	}
	return nil
}

func (p *Parser) marker(line string) *Result {
	switch {
	case strings.HasPrefix(line, "BOX: suite ") && strings.HasSuffix(line, " start"):
		p.suite = strings.TrimSuffix(strings.TrimPrefix(line, "BOX: suite "), " start")
		p.current = ""
		p.output = map[string][]string{}
	case suiteEndRE.MatchString(line):
		m := suiteEndRE.FindStringSubmatch(line)
		code, _ := strconv.Atoi(m[2])
		p.Ends = append(p.Ends, SuiteEnd{Suite: m[1], Exit: code, Elapsed: m[3]})
		p.suite, p.current = "", ""
	case doneRE.MatchString(line):
		p.Done = true
		p.Failed, _ = strconv.Atoi(doneRE.FindStringSubmatch(line)[1])
	case strings.HasPrefix(line, "BOX: setup failed: "):
		p.Setup = strings.TrimPrefix(line, "BOX: setup failed: ")
	case strings.HasPrefix(line, "BOX: kernel "):
		p.Header = strings.TrimPrefix(line, "BOX: ")
	}
	return nil
}

// Check reports why a complete run did not succeed (nil: every suite ran and exited 0, and
// each suite of want ended).
func (p *Parser) Check(want []string) error {
	if p.Setup != "" {
		return fmt.Errorf("guest setup failed: %s", p.Setup)
	}
	ended := map[string]SuiteEnd{}
	for _, e := range p.Ends {
		ended[e.Suite] = e
	}
	var bad []string
	for _, s := range want {
		e, ok := ended[s]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("suite %s did not finish", s))
		case e.Exit != 0:
			bad = append(bad, fmt.Sprintf("suite %s exited %d after %s", s, e.Exit, e.Elapsed))
		}
	}
	if !p.Done {
		bad = append(bad, "the guest did not report the end of the run")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return nil
}

// Defang rewrites go test's result markers so that guest output logged by the host test is
// not counted again by tools that scan the host's go test output.
func Defang(line string) string {
	for _, m := range []string{"--- PASS", "--- FAIL", "--- SKIP", "=== RUN"} {
		line = strings.ReplaceAll(line, m, "guest:"+m[3:])
	}
	return line
}
