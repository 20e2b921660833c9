package vm_test

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minictr/minictr/vm"
	"github.com/minictr/minictr/vm/compiler"
)

// BenchmarkPrograms runs the benchmark programs of testdata/bench (the same ones make bench-vm
// compares with Lua) on the VM.
func BenchmarkPrograms(b *testing.B) {
	progs, _ := filepath.Glob("testdata/bench/*.go")
	for _, p := range progs {
		name := strings.TrimSuffix(filepath.Base(p), ".go")
		m, err := compiler.CompileFile(p)
		if err != nil {
			b.Fatalf("%s: %v", p, err)
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				args := []string{p}
				if name == "nbody" {
					args = append(args, "200000")
				}
				if err := vm.Run(m, vm.Options{Stdout: io.Discard, Stderr: io.Discard, Args: args}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
