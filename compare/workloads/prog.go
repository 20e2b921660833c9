//go:build ignore

// The compare workloads as a program of the process VM's Go subset. The same loops, in native
// Go, are in native.go (`minictr workload`); both print the same lines:
//
//	workload cpu n=1000 started
//	ops=1000 seconds=0.000123 check=1a2b3c4d5e6f7081
//
// Run: minictr vm run prog.go --dir HOSTDIR:/tmp -- cpu|syscall|start [N] [DIR]
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// cpu is a xorshift64 generator summed over n steps: integer shifts, xors and adds only.
func cpu(n int) uint64 {
	x := uint64(88172645463325252)
	var sum uint64
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		sum += x
	}
	return sum
}

// syscalls writes a small file and reads it back n times: each op is open, write, close, then
// open, read, close (plus a stat) in the host kernel.
func syscalls(n int, dir string) (uint64, error) {
	path := dir + "/minictr-compare.dat"
	data := []byte("minictr compare: syscall-bound workload\n")
	var sum uint64
	for i := 0; i < n; i++ {
		data[0] = byte('a' + i%26)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return 0, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		if len(b) != len(data) {
			return 0, fmt.Errorf("read back %d bytes, wrote %d", len(b), len(data))
		}
		sum = sum*31 + uint64(b[0])
	}
	return sum, nil
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "workload:", msg)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		fail("want cpu N, syscall N [DIR] or start")
	}
	name := os.Args[1]
	n := 0
	if name != "start" {
		if len(os.Args) < 3 {
			fail(name + ": want a count")
		}
		v, err := strconv.Atoi(os.Args[2])
		if err != nil || v < 0 {
			fail(name + ": bad count " + os.Args[2])
		}
		n = v
	}
	fmt.Printf("workload %s n=%d started\n", name, n)
	t0 := time.Now()
	var check uint64
	switch name {
	case "start":
	case "cpu":
		check = cpu(n)
	case "syscall":
		dir := "/tmp"
		if len(os.Args) > 3 {
			dir = os.Args[3]
		}
		c, err := syscalls(n, dir)
		if err != nil {
			fail("syscall: " + err.Error())
		}
		check = c
	default:
		fail("unknown workload " + name)
	}
	fmt.Printf("ops=%d seconds=%.6f check=%016x\n", n, time.Since(t0).Seconds(), check)
}
