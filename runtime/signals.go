package runtime

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"

	rspec "github.com/minictr/minictr/runtime/spec"
)

// run and create hold their signals from package initialization on, from a goroutine: the
// four round trips then overlap the rest of the start-up (0.5 ms between reading the bundle
// and create, when started from the command).
func init() {
	switch cmd, _ := rspec.CommandOf(os.Args[1:]); cmd {
	case "run", "create":
		go HoldSignals()
	}
}

// caught is the one channel through which this process catches signals: the ones held back
// during create (HoldSignals), then every signal, for Wait to forward.
//
// The Go runtime enables a signal with one round trip to its signal-mask thread, a hand-off
// between two OS threads: all 65 take 2.5 ms here, and as much again to disable them. So
// nothing is ever undone (the process ends with its container), the four held signals are
// enabled up front, and the rest only when Wait starts, from a goroutine: enabled during
// create they slowed it by 2 ms (the hand-offs take the processor the set-up runs on).
var caught struct {
	hold, all sync.Once
	ch        chan os.Signal
}

// HoldSignals catches, from now on, the signals that would end minictr half-way through a
// create: SIGINT (Ctrl-C), SIGTERM and SIGHUP (a client that gives up) and SIGPIPE (stderr
// closed). They queue on the returned channel; Wait later forwards what it finds there.
func HoldSignals() <-chan os.Signal {
	caught.hold.Do(func() {
		caught.ch = make(chan os.Signal, 32)
		signal.Notify(caught.ch, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGPIPE)
	})
	return caught.ch
}

// catchAll adds every other signal, in the background.
func catchAll() {
	HoldSignals()
	caught.all.Do(func() { go signal.Notify(caught.ch) })
}
