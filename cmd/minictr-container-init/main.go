// Command minictr-container-init is the container's init process: the program minictr starts
// in the container's namespaces to set it up and exec the user's process. It is
// `minictr init` on its own: minictr runs it when it is installed beside the minictr binary
// (make build and make install put it there), and runs itself as `minictr init` otherwise.
//
// Why a program of its own: every container starts two Go processes (the CLI and the init),
// and a Go program's start costs grow with what it links. minictr links the image store, the
// process VM's compiler, the VMM and an HTTP client, whose package initialization and larger
// binary cost the init 1.5 ms per container that it never uses. This one links the runtime
// package alone.
//
// It is not meant to be run by hand: without the descriptor minictr passes it, it says so and
// exits 2.
package main

import (
	"fmt"
	"os"

	"github.com/minictr/minictr/runtime"
	// The nsenter constructor must run before the Go runtime starts.
	_ "github.com/minictr/minictr/runtime/nsenter"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "init" {
		fmt.Fprintln(os.Stderr, "minictr-container-init: the container init of minictr, started by minictr create, run and exec; not a command")
		os.Exit(2)
	}
	if err := runtime.Init(); err != nil {
		// The parent got the error over the sync socket and reports it; this is for a log.
		fmt.Fprintln(os.Stderr, "minictr-container-init:", err)
		os.Exit(1)
	}
}
