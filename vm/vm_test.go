package vm_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minictr/minictr/vm"
	"github.com/minictr/minictr/vm/compiler"
)

type oracle struct {
	stdout string
	stderr string
	code   int
	err    error
}

var expectRe = regexp.MustCompile(`(?m)^// expect (runtime )?error: (.*)$`)

// buildOracles compiles every program with the Go toolchain (in parallel, two at a time) and
// runs it, so the VM's output can be compared with Go's.
func buildOracles(t *testing.T, progs []string) map[string]*oracle {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go toolchain not in PATH: no oracle for differential tests")
	}
	dir := t.TempDir()
	out := map[string]*oracle{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan bool, 2)
	for _, p := range progs {
		src, _ := os.ReadFile(p)
		if m := expectRe.FindSubmatch(src); m != nil && len(m[1]) == 0 {
			continue // compile errors: no oracle run needed
		}
		wg.Add(1)
		go func(p string) {
			defer wg.Done()
			sem <- true
			defer func() { <-sem }()
			o := &oracle{}
			bin := filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".go"))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, p)
			if b, err := cmd.CombinedOutput(); err != nil {
				o.err = errors.New(string(b))
			} else {
				var so, se bytes.Buffer
				run := exec.CommandContext(ctx, bin)
				run.Stdout, run.Stderr = &so, &se
				run.Stdin = strings.NewReader("line one\nline two\n")
				err := run.Run()
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					o.code = ee.ExitCode()
				} else if err != nil {
					o.err = err
				}
				o.stdout, o.stderr = so.String(), se.String()
			}
			mu.Lock()
			out[p] = o
			mu.Unlock()
		}(p)
	}
	wg.Wait()
	return out
}

func runVM(t *testing.T, path string) (stdout, stderr string, code int, compileErr error) {
	m, err := compiler.CompileFile(path)
	if err != nil {
		return "", "", 0, err
	}
	var so, se bytes.Buffer
	err = vm.Run(m, vm.Options{Stdout: &so, Stderr: &se, Stdin: strings.NewReader("line one\nline two\n"),
		Args: []string{path}, Fuel: 2e9, MaxMemory: 1 << 30})
	if err != nil {
		c, ok := vm.IsExit(err)
		if !ok {
			t.Fatalf("%s: run: %v", path, err)
		}
		code = c
	}
	return so.String(), se.String(), code, nil
}

// TestPrograms is the differential test: each program in testdata/progs runs under go and
// under the VM; outputs and exit codes must match. Programs with "// expect error: MSG" must
// fail to compile with MSG; "// expect runtime error: MSG" must exit 2 with MSG on stderr.
func TestPrograms(t *testing.T) {
	progs, _ := filepath.Glob("testdata/progs/*.go")
	if len(progs) == 0 {
		t.Fatal("no test programs")
	}
	oracles := buildOracles(t, progs)
	for _, p := range progs {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".go"), func(t *testing.T) {
			src, _ := os.ReadFile(p)
			want := expectRe.FindSubmatch(src)
			so, se, code, cerr := runVM(t, p)
			if want != nil && len(want[1]) == 0 {
				if cerr == nil {
					t.Fatalf("compiled, want compile error %q", want[2])
				}
				if !strings.Contains(cerr.Error(), string(want[2])) {
					t.Fatalf("compile error %q does not contain %q", cerr, want[2])
				}
				if !strings.Contains(cerr.Error(), filepath.Base(p)+":") {
					t.Fatalf("compile error %q lacks a file:line:col position", cerr)
				}
				return
			}
			if cerr != nil {
				t.Fatalf("compile: %v", cerr)
			}
			o := oracles[p]
			if o == nil || o.err != nil {
				t.Fatalf("oracle failed: %v", o.err)
			}
			if so != o.stdout {
				t.Errorf("stdout differs\n--- go\n%s\n--- vm\n%s", o.stdout, so)
			}
			if code != o.code {
				t.Errorf("exit code: go %d, vm %d (vm stderr: %s)", o.code, code, se)
			}
			if want != nil {
				if code != 2 {
					t.Errorf("exit code %d, want 2", code)
				}
				if !strings.Contains(se, string(want[2])) {
					t.Errorf("vm stderr %q does not contain %q", se, want[2])
				}
				if !strings.Contains(o.stderr, string(want[2])) {
					t.Errorf("go stderr %q does not contain %q (bad expectation)", o.stderr, want[2])
				}
				if !strings.Contains(se, "goroutine ") || !strings.Contains(se, ".go:") {
					t.Errorf("vm stderr lacks a stack trace: %s", se)
				}
			}
		})
	}
}
