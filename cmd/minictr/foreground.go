package main

import (
	"fmt"
	"os"

	"github.com/minictr/minictr/runtime"
)

// waitForeground waits for pid with the terminal relayed (relay may be nil, and must already
// be started) and returns its exit code. With the container's state, an OOM kill in its cgroup
// is reported: call it before the container is deleted.
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
