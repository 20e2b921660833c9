package runtime

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// caught is the one channel through which this process catches every signal, for Wait to
// forward.
var caught struct {
	once sync.Once
	ch   chan os.Signal
}

// CatchSignals starts catching every catchable signal, in the background, for Wait to
// forward; call it early (before create) so the work overlaps the container's set-up. The Go
// runtime enables a signal with one round trip to its signal-mask thread, each a hand-off
// between two OS threads: 2.5 ms for all 65 here, and as much again to undo them. So it is
// done once per process and never undone (the process ends with its container); a signal
// that comes before Wait runs is forwarded when it does.
func CatchSignals() {
	caught.once.Do(func() {
		caught.ch = make(chan os.Signal, 32)
		go signal.Notify(caught.ch)
	})
}

// Wait waits for pid, a child of this process (or an orphan it adopted as subreaper),
// forwarding the signals this process receives to it (see CatchSignals), and returns its exit
// code the way a shell reports it: the status, or 128+signal.
func Wait(pid int) int {
	CatchSignals()
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
