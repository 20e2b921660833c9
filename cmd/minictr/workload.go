//go:build !lean

package main

import (
	"os"

	"github.com/minictr/minictr/compare/workloads"
)

// workload is what `minictr compare` runs as a host process, in a container and in a microVM:
// the same loops as the process VM's program, in native Go.
func init() {
	register(&command{
		Name:    "workload",
		Summary: "compare's workload in native Go: cpu N | syscall N [DIR] | start (internal)",
		Hidden:  true,
		Run: func(_ *Globals, args []string) error {
			return workloads.Run(os.Stdout, args)
		},
	})
}
