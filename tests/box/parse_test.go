package box

import (
	"strings"
	"testing"
)

// A console as the guest writes it: kernel noise, CRLF line ends, a passing, a skipped and a
// failing test with a subtest, and the markers of boxinit.
const console = "[    0.000000] Linux version 6.1.0\r\n" +
	"BOX: kernel 6.1.0-57-amd64, cgroup2 controllers enabled: cpu memory pids, memory 1463 MiB\r\n" +
	"BOX: suite e2e start\r\n" +
	"=== RUN   TestA\r\n" +
	"--- PASS: TestA (1.25s)\r\n" +
	"=== RUN   TestB\r\n" +
	"    x_test.go:3: host cgroups are v2: no v1 hierarchies\r\n" +
	"--- SKIP: TestB (0.00s)\r\n" +
	"=== RUN   TestC\r\n" +
	"=== RUN   TestC/sub\r\n" +
	"    x_test.go:9: boom\r\n" +
	"=== NAME  TestC\r\n" +
	"    x_test.go:12: after the subtest\r\n" +
	"--- FAIL: TestC (0.50s)\r\n" +
	"    --- FAIL: TestC/sub (0.10s)\r\n" +
	"FAIL\r\n" +
	"BOX: suite e2e exit=1 elapsed=2.1s\r\n" +
	"BOX: suite cgroups start\r\n" +
	"=== RUN   TestD\r\n" +
	"started 19--- PASS: TestD (0.01s)\r\n" +
	"PASS\r\n" +
	"BOX: suite cgroups exit=0 elapsed=0.3s\r\n" +
	"BOX: done failed=1\r\n" +
	"MINICTR_EXIT_STATUS=1\r\n"

func parseAll(text string) (*Parser, []*Result) {
	var p Parser
	var rs []*Result
	for _, l := range strings.Split(text, "\n") {
		if r := p.Line(l); r != nil {
			rs = append(rs, r)
		}
	}
	return &p, rs
}

func TestParseConsole(t *testing.T) {
	p, rs := parseAll(console)
	var got []string
	for _, r := range rs {
		got = append(got, r.Suite+" "+r.Test+" "+r.Status+" "+r.Elapsed+" "+strings.Join(r.Output, "|"))
	}
	want := []string{
		"e2e TestA PASS 1.25s ",
		"e2e TestB SKIP 0.00s     x_test.go:3: host cgroups are v2: no v1 hierarchies",
		"e2e TestC FAIL 0.50s     x_test.go:12: after the subtest",
		"e2e TestC/sub FAIL 0.10s     x_test.go:9: boom",
		"cgroups TestD PASS 0.01s ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !p.Done || p.Failed != 1 || len(p.Ends) != 2 || p.Ends[0] != (SuiteEnd{"e2e", 1, "2.1s"}) {
		t.Fatalf("markers: done %v failed %d ends %+v", p.Done, p.Failed, p.Ends)
	}
	if !strings.HasPrefix(p.Header, "kernel 6.1.0-57-amd64") {
		t.Fatalf("header %q", p.Header)
	}
	if err := p.Check([]string{"e2e", "cgroups"}); err == nil || !strings.Contains(err.Error(), "suite e2e exited 1") {
		t.Fatalf("Check: %v", err)
	}
}

func TestParseIncompleteRun(t *testing.T) {
	// The guest stopped in the middle of a suite (a timeout, a kernel panic).
	cut := console[:strings.Index(console, "FAIL\r\n")]
	p, _ := parseAll(cut)
	err := p.Check([]string{"e2e", "cgroups"})
	if err == nil || !strings.Contains(err.Error(), "suite e2e did not finish") || !strings.Contains(err.Error(), "did not report the end") {
		t.Fatalf("Check of a cut run: %v", err)
	}
	p, _ = parseAll("BOX: setup failed: mount cgroup2 on /sys/fs/cgroup: no such device\n")
	if err := p.Check([]string{"e2e"}); err == nil || !strings.Contains(err.Error(), "no such device") {
		t.Fatalf("Check after a setup failure: %v", err)
	}
}

func TestParseSuccess(t *testing.T) {
	p, rs := parseAll("BOX: suite s start\n--- PASS: TestX (0.1s)\nBOX: suite s exit=0 elapsed=1s\nBOX: done failed=0\n")
	if len(rs) != 1 || rs[0].Status != "PASS" {
		t.Fatalf("results %+v", rs)
	}
	if err := p.Check([]string{"s"}); err != nil {
		t.Fatal(err)
	}
}

func TestDefang(t *testing.T) {
	in := "    --- FAIL: TestC/sub (0.10s) then === RUN   TestD"
	out := Defang(in)
	if strings.Contains(out, "--- FAIL") || strings.Contains(out, "=== RUN") || !strings.Contains(out, "guest: FAIL: TestC/sub") {
		t.Fatalf("Defang(%q) = %q", in, out)
	}
}
