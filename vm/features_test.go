package vm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minictr/minictr/vm"
	"github.com/minictr/minictr/vm/compiler"
)

func run(t *testing.T, src string, opts vm.Options) (string, string, int) {
	t.Helper()
	m, err := compiler.Compile("prog.go", []byte(src))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	var so, se bytes.Buffer
	opts.Stdout, opts.Stderr = &so, &se
	code := 0
	if err := vm.Run(m, opts); err != nil {
		c, ok := vm.IsExit(err)
		if !ok {
			t.Fatalf("run: %v", err)
		}
		code = c
	}
	return so.String(), se.String(), code
}

const sleeper = `package main

import (
	"fmt"
	"runtime"
	"time"
)

func main() {
	done := make(chan int)
	stop := false
	go func() {
		n := 0
		for !stop {
			n++
			runtime.Gosched()
		}
		done <- n
	}()
	time.Sleep(30 * time.Millisecond)
	stop = true
	if n := <-done; n == 0 {
		fmt.Println("blocked: the other goroutine did not run while main slept")
	} else {
		fmt.Println("overlapped: the other goroutine ran while main slept")
	}
}
`

// TestThreadsUserVsHybrid shows the many-to-one drawback: with --threads=user a sleeping
// goroutine blocks every green thread; with --threads=hybrid the sleep moves to a kernel thread.
func TestThreadsUserVsHybrid(t *testing.T) {
	out, _, _ := run(t, sleeper, vm.Options{Threads: vm.User})
	if !strings.HasPrefix(out, "blocked") {
		t.Errorf("user threads: %q, want the other goroutine blocked", out)
	}
	out, _, _ = run(t, sleeper, vm.Options{Threads: vm.Hybrid})
	if !strings.HasPrefix(out, "overlapped") {
		t.Errorf("hybrid threads: %q, want the other goroutine to run during the sleep", out)
	}
}

func TestFuelLimit(t *testing.T) {
	_, se, code := run(t, "package main\nfunc spin() {\n\tfor {\n\t}\n}\nfunc main() { spin() }\n", vm.Options{Fuel: 1000000})
	if code != 2 || !strings.Contains(se, "fuel exhausted") || !strings.Contains(se, "main.spin()\n\tprog.go:3") {
		t.Fatalf("exit %d, stderr %q", code, se)
	}
}

func TestMemoryLimit(t *testing.T) {
	src := `package main
func main() {
	var keep [][]int
	for i := 0; i < 10000; i++ {
		keep = append(keep, make([]int, 1<<16))
	}
	println(len(keep))
}`
	_, se, code := run(t, src, vm.Options{MaxMemory: 32 << 20})
	if code != 2 || !strings.Contains(se, "out of memory") {
		t.Fatalf("exit %d, stderr %q", code, se)
	}
	_, se, code = run(t, "package main\nfunc main() { s := make([]int, 1<<30); println(len(s)) }", vm.Options{MaxMemory: 32 << 20})
	if code != 2 || !strings.Contains(se, "exceeds --max-memory") {
		t.Fatalf("exit %d, stderr %q", code, se)
	}
}

func TestStackDepthLimit(t *testing.T) {
	_, se, code := run(t, "package main\nfunc f(n int) int { return f(n+1) + 1 }\nfunc main() { println(f(0)) }\n", vm.Options{MaxDepth: 5000})
	if code != 2 || !strings.Contains(se, "stack overflow") || !strings.Contains(se, "frames elided") {
		t.Fatalf("exit %d, stderr %.300q", code, se)
	}
}

func TestDirSandbox(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("42"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `package main

import (
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile("/data/in.txt")
	fmt.Println(string(b), err)
	fmt.Println(os.WriteFile("/data/out.txt", []byte("written"), 0644))
	_, err = os.ReadFile("/etc/hostname")
	fmt.Println(err)
	_, err = os.ReadFile("/data/../etc/hostname")
	fmt.Println(err)
}`
	out, se, code := run(t, src, vm.Options{Dirs: []vm.Dir{{Host: dir, Guest: "/data"}}})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	lines := strings.Split(out, "\n")
	if lines[0] != "42 <nil>" || lines[1] != "<nil>" || !strings.Contains(lines[2], "permission denied") || !strings.Contains(lines[3], "permission denied") {
		t.Fatalf("output:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "written" {
		t.Fatalf("out.txt: %q %v", b, err)
	}
}

func TestTrace(t *testing.T) {
	_, se, _ := run(t, "package main\nfunc main() { x := 1; x++; println(x) }\n", vm.Options{Trace: true})
	if !strings.Contains(se, "main.main:2 pc=0 LOADI") || !strings.Contains(se, "ADDI") {
		t.Fatalf("trace:\n%s", se)
	}
}

// TestFuelLimitCalls: a budget spent on calls (no loops) also runs out.
func TestFuelLimitCalls(t *testing.T) {
	src := "package main\nfunc fib(n int) int {\n\tif n < 2 {\n\t\treturn n\n\t}\n\treturn fib(n-1) + fib(n-2)\n}\nfunc main() { println(fib(40)) }\n"
	for _, fuel := range []int64{10, 1000, 100000} {
		_, se, code := run(t, src, vm.Options{Fuel: fuel})
		if code != 2 || !strings.Contains(se, "fuel exhausted") || !strings.Contains(se, "main.fib") {
			t.Fatalf("fuel %d: exit %d, stderr %.200q", fuel, code, se)
		}
	}
}
