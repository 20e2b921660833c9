package main

import (
	"fmt"
	"os"

	"github.com/minictr/minictr/runtime"
)

// waitForeground waits for pid with the terminal relayed (relay may be nil, and must already
// be started) and returns its exit code. With a container id, an OOM kill in its cgroup is
// reported: call it before the container is deleted.
// waitForeground waits for the process pid; st, when given, is the container's state, for
// the OOM report.
func waitForeground(g *Globals, relay *runtime.TerminalRelay, pid int, st *runtime.State) int {
	outDone := make(chan struct{})
	if relay != nil {
		go func() { relay.CopyOut(); close(outDone) }()
	} else {
		close(outDone)
	}
	code := runtime.Wait(pid)
	if relay != nil {
		relay.Close()
	}
	<-outDone
	if st != nil {
		if n := runtime.OOMKills(st); n > 0 {
			fmt.Fprintf(os.Stderr, "minictr: container %s: %d process(es) killed by the OOM killer (memory limit reached)\n", st.ID, n)
		}
	}
	return code
}
