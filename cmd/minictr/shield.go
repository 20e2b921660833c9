package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/minictr/minictr/runtime"
)

// createShielded is runtime.Create with the signals that would end minictr half-way held
// back: SIGINT (Ctrl-C), SIGTERM and SIGHUP (a client that gives up) and SIGPIPE (stderr
// closed). Killed in the middle, a create would leave a state directory, a cgroup and an init
// blocked on its fifo behind. Held, the create runs to its end (tens of milliseconds), and if
// a signal came meanwhile the new container is deleted again and the signal reported. They
// stay caught afterwards (see runtime.HoldSignals): run's Wait forwards the later ones.
func createShielded(g *Globals, o *runtime.CreateOptions) (*runtime.State, error) {
	sigs := runtime.HoldSignals()
	st, err := runtime.Create(o)
	var got os.Signal
	for len(sigs) > 0 {
		if s := <-sigs; s != syscall.SIGPIPE {
			got = s
		}
	}
	if got == nil || err != nil {
		return st, err
	}
	if derr := deleteContainer(g, o.ID, true); derr != nil {
		return nil, fmt.Errorf("create %s interrupted by %v; deleting it again: %w", o.ID, got, derr)
	}
	return nil, fmt.Errorf("create %s interrupted by %v: the container was deleted again", o.ID, got)
}
