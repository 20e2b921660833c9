//go:build !lean

package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/minictr/minictr/vm"
)

func init() {
	register(&command{Name: "vm", Summary: "process VM: run, build, asm, disasm Go-subset bytecode", Run: runVM})
}

const vmUsage = `usage:
  minictr vm run prog.go|prog.mbc|prog.masm [--fuel N] [--max-memory 64m] [--max-depth N]
                 [--dir host:guest] [--threads=user|hybrid] [--trace] [-- args]
  minictr vm build -o x.mbc x.go
  minictr vm asm -o x.mbc x.masm
  minictr vm disasm x.mbc|x.go
`

func runVM(g *Globals, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, vmUsage)
		return ExitCode(2)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "run":
		return vmRun(rest)
	case "build", "asm":
		fs := pflag.NewFlagSet("vm "+sub, pflag.ContinueOnError)
		out := fs.StringP("output", "o", "", "output .mbc file")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() != 1 || *out == "" {
			return fmt.Errorf("vm %s: want -o OUT and one input file", sub)
		}
		if sub == "build" {
			return vm.Build(fs.Arg(0), *out)
		}
		return vm.Asm(fs.Arg(0), *out)
	case "disasm":
		if len(rest) != 1 {
			return fmt.Errorf("vm disasm: want one file")
		}
		text, err := vm.Disasm(rest[0])
		if err != nil {
			return err
		}
		fmt.Print(text)
		return nil
	case "help", "-h", "--help":
		fmt.Print(vmUsage)
		return nil
	}
	return fmt.Errorf("vm: unknown subcommand %q (run, build, asm, disasm)", sub)
}

// parseSize reads 64m, 1g, 4096k or plain bytes (parseBytes, with the flag in the error).
func parseSize(s string) (int64, error) {
	n, err := parseBytes(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--max-memory %q: want a size like 64m", s)
	}
	return n, nil
}

func vmRun(args []string) error {
	fs := pflag.NewFlagSet("vm run", pflag.ContinueOnError)
	fuel := fs.String("fuel", "0", "instruction budget (0 = unlimited; 1e9 accepted)")
	maxMem := fs.String("max-memory", "0", "limit of live heap, e.g. 64m (0 = unlimited)")
	maxDepth := fs.Int("max-depth", 100000, "call depth limit per goroutine")
	dirs := fs.StringArray("dir", nil, "grant host directory as guest path (host:guest)")
	threads := fs.String("threads", "hybrid", "blocking host calls: user (block all green threads) or hybrid")
	trace := fs.Bool("trace", false, "print every instruction executed to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return fmt.Errorf("vm run: want a program file")
	}
	opts := vm.Options{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, MaxDepth: *maxDepth, Trace: *trace}
	f, err := strconv.ParseFloat(*fuel, 64)
	if err != nil || f < 0 {
		return fmt.Errorf("--fuel %q: want a non-negative number", *fuel)
	}
	opts.Fuel = int64(f)
	if opts.MaxMemory, err = parseSize(*maxMem); err != nil {
		return err
	}
	switch *threads {
	case "user":
		opts.Threads = vm.User
	case "hybrid":
		opts.Threads = vm.Hybrid
	default:
		return fmt.Errorf("--threads %q: want user or hybrid", *threads)
	}
	for _, d := range *dirs {
		host, guest, ok := strings.Cut(d, ":")
		if !ok || host == "" || guest == "" {
			return fmt.Errorf("--dir %q: want host:guest", d)
		}
		opts.Dirs = append(opts.Dirs, vm.Dir{Host: host, Guest: guest})
	}
	// the interpreter allocates little garbage but large live tables: collect less often
	// (--max-memory is enforced by the VM itself)
	debug.SetGCPercent(400)
	prog := fs.Arg(0)
	opts.Args = append([]string{prog}, fs.Args()[1:]...)
	m, err := vm.Load(prog)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return ExitCode(2)
	}
	if err := vm.Run(m, opts); err != nil {
		if code, ok := vm.IsExit(err); ok {
			return ExitCode(code)
		}
		return err
	}
	return nil
}
