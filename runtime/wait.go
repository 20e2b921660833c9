package runtime

import (
	"golang.org/x/sys/unix"
)

// Wait waits for pid, a child of this process (or an orphan it adopted as subreaper),
// forwarding the signals this process receives to it (see HoldSignals and catchAll), and
// returns its exit code the way a shell reports it: the status, or 128+signal.
func Wait(pid int) int {
	catchAll()
	sigs := caught.ch
	done := make(chan int, 1)
	go func() {
		for {
			var ws unix.WaitStatus
			p, err := unix.Wait4(pid, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil || p != pid {
				done <- 255
				return
			}
			switch {
			case ws.Exited():
				done <- ws.ExitStatus()
			case ws.Signaled():
				done <- 128 + int(ws.Signal())
			default:
				continue
			}
			return
		}
	}()
	for {
		select {
		case code := <-done:
			reapOrphans()
			return code
		case s := <-sigs:
			sig := s.(unix.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH, unix.SIGPIPE:
				// SIGCHLD is ours; SIGURG is the Go runtime's preemption; SIGWINCH is handled
				// by the terminal relay.
				continue
			}
			unix.Kill(pid, sig)
		}
	}
}

// reapOrphans collects zombies adopted as subreaper (processes of the container that were
// reparented to us), without blocking.
func reapOrphans() {
	for i := 0; i < 1024; i++ {
		var ws unix.WaitStatus
		p, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if p <= 0 || err != nil {
			return
		}
	}
}
