package workloads

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/minictr/minictr/vm"
)

var outputFormat = regexp.MustCompile(`^workload (cpu|syscall|start) n=\d+ started\nops=\d+ seconds=\d+\.\d{6} check=[0-9a-f]{16}\n$`)

// native runs the workload in this process.
func native(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := Run(&out, args); err != nil {
		t.Fatalf("Run %q: %v", args, err)
	}
	return out.String()
}

// bytecode runs prog.go in the process VM with dir granted as /tmp.
func bytecode(t *testing.T, dir string, args ...string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "prog.go")
	if err := os.WriteFile(src, Source, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := vm.Load(src)
	if err != nil {
		t.Fatalf("compile the embedded workload: %v", err)
	}
	var out, errOut bytes.Buffer
	opts := vm.Options{Stdout: &out, Stderr: &errOut, Args: append([]string{src}, args...), Dirs: []vm.Dir{{Host: dir, Guest: "/tmp"}}, MaxDepth: 1000}
	if err := vm.Run(m, opts); err != nil {
		t.Fatalf("vm run %q: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

var checkField = regexp.MustCompile(`check=[0-9a-f]+`)

func TestOutputFormatAndSameChecksum(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"start"}, {"cpu", "1000"}, {"syscall", "5", dir}} {
		n := native(t, args...)
		if !outputFormat.MatchString(n) {
			t.Errorf("native %q: output %q does not match %s", args, n, outputFormat)
		}
		vmArgs := append([]string(nil), args...)
		if args[0] == "syscall" {
			vmArgs[2] = "/tmp"
		}
		b := bytecode(t, dir, vmArgs...)
		if !outputFormat.MatchString(b) {
			t.Errorf("vm %q: output %q does not match %s", args, b, outputFormat)
		}
		if cn, cb := checkField.FindString(n), checkField.FindString(b); cn != cb {
			t.Errorf("%q: native %s, vm %s: the two forms of the workload differ", args, cn, cb)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("syscall workload left no file in its directory: %v", err)
	}
}

func TestCPULoopKnownValue(t *testing.T) {
	// xorshift64 (13, 7, 17) from 88172645463325252: the first step, computed by hand.
	x := uint64(88172645463325252)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	if got := CPULoop(1); got != x {
		t.Errorf("CPULoop(1) = %#x, want %#x", got, x)
	}
	if got := CPULoop(0); got != 0 {
		t.Errorf("CPULoop(0) = %#x, want 0", got)
	}
}

func TestBadArgs(t *testing.T) {
	for _, args := range [][]string{nil, {"cpu"}, {"cpu", "-1"}, {"cpu", "x"}, {"fork"}, {"syscall", "1", "/nonexistent/dir"}} {
		var out bytes.Buffer
		if err := Run(&out, args); err == nil {
			t.Errorf("Run %q: no error", args)
		}
	}
}
