//go:build !lean

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/minictr/minictr/compare"
)

func init() {
	register(&command{
		Name:    "compare",
		Summary: "run one workload as a host process, in a container, in the process VM and in a microVM; compare",
		Run:     cmdCompare,
	})
}

func cmdCompare(g *Globals, args []string) error {
	fs := pflag.NewFlagSet("compare", pflag.ContinueOnError)
	workload := fs.String("workload", "all", "cpu, syscall, start or all")
	kinds := fs.String("kinds", strings.Join(compare.AllKinds, ","), "comma-separated kinds: host, container, vm, microvm")
	runs := fs.Int("runs", 1, "runs per kind and workload; the median is reported")
	svg := fs.String("svg", "", "also write a bar chart to this SVG file")
	md := fs.Bool("markdown", false, "print the README's comparison section (Markdown) instead of the table")
	svgRef := fs.String("markdown-svg", "docs/compare.svg", "with --markdown: the chart's path in the Markdown")
	cpuOps := fs.Int("cpu-ops", compare.DefaultCPUOps, "steps of the cpu workload")
	sysOps := fs.Int("syscall-ops", compare.DefaultSyscallOps, "write+read round trips of the syscall workload")
	timeout := fs.Duration("timeout", 2*time.Minute, "limit of one run")
	quiet := fs.BoolP("quiet", "q", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("compare: unexpected arguments %q", fs.Args())
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("compare: find the minictr binary: %w", err)
	}
	o := compare.Options{Binary: bin, Runs: *runs, CPUOps: *cpuOps, SyscallOps: *sysOps, Timeout: *timeout}
	if *workload != "all" {
		o.Workloads = []string{*workload}
	}
	for _, k := range strings.Split(*kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.Kinds = append(o.Kinds, k)
		}
	}
	if !*quiet {
		o.Progress = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := compare.Run(ctx, o)
	if err != nil {
		return err
	}
	if *svg != "" {
		f, err := os.Create(*svg)
		if err != nil {
			return fmt.Errorf("compare: --svg: %w", err)
		}
		err = rep.WriteSVG(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("compare: write %s: %w", *svg, err)
		}
	}
	if *md {
		return rep.WriteMarkdown(os.Stdout, *svgRef)
	}
	return rep.WriteTable(os.Stdout)
}
