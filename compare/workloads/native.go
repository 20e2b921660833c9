package workloads

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Run runs one workload in this process, args as for the VM program: cpu N, syscall N [DIR],
// or start. It writes the two lines to w.
func Run(w io.Writer, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("workload: want cpu N, syscall N [DIR] or start")
	}
	name, n := args[0], 0
	switch name {
	case CPU, Syscall:
		if len(args) < 2 {
			return fmt.Errorf("workload %s: want a count", name)
		}
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 0 {
			return fmt.Errorf("workload %s: count %q: want a non-negative integer", name, args[1])
		}
		n = v
	case Start:
	default:
		return fmt.Errorf("workload %q: want cpu, syscall or start", name)
	}
	if _, err := fmt.Fprintf(w, "workload %s n=%d started\n", name, n); err != nil {
		return fmt.Errorf("workload %s: write first line: %w", name, err)
	}
	t0 := time.Now()
	var check uint64
	switch name {
	case CPU:
		check = CPULoop(n)
	case Syscall:
		dir := DefaultDir
		if len(args) > 2 {
			dir = args[2]
		}
		c, err := SyscallLoop(n, dir)
		if err != nil {
			return fmt.Errorf("workload syscall: %w", err)
		}
		check = c
	}
	_, err := fmt.Fprintf(w, "ops=%d seconds=%.6f check=%016x\n", n, time.Since(t0).Seconds(), check)
	return err
}

// CPULoop is a xorshift64 generator summed over n steps (the loop of prog.go's cpu).
func CPULoop(n int) uint64 {
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

// SyscallLoop writes a small file in dir and reads it back n times (prog.go's syscalls).
func SyscallLoop(n int, dir string) (uint64, error) {
	path := dir + "/" + FileName
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
			return 0, fmt.Errorf("read back %s: %d bytes, wrote %d", path, len(b), len(data))
		}
		sum = sum*31 + uint64(b[0])
	}
	return sum, nil
}
