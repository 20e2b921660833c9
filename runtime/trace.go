package runtime

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// stepTimer logs how long each step of a lifecycle operation took, at debug level
// (`minictr --debug`), to see where start-up time goes.
type stepTimer struct {
	op    string
	start time.Time
	last  time.Time
}

func newStepTimer(op string) *stepTimer {
	now := time.Now()
	return &stepTimer{op: op, start: now, last: now}
}

func (t *stepTimer) step(name string) {
	if !slog.Default().Enabled(nil, slog.LevelDebug) {
		return
	}
	now := time.Now()
	slog.Debug(t.op+": "+name, "step", now.Sub(t.last).Round(time.Microsecond).String(), "total", now.Sub(t.start).Round(time.Microsecond).String())
	t.last = now
}

// initSteps times the init's set-up steps, for the ready message (initConfig.Steps): the init
// cannot log (its stderr is the container's).
type initSteps struct {
	on   bool
	last time.Time
	out  []byte
}

func newInitSteps(on bool) *initSteps { return &initSteps{on: on, last: time.Now()} }

func (t *initSteps) step(name string) {
	if !t.on {
		return
	}
	now := time.Now()
	t.out = fmt.Appendf(t.out, "%s=%s ", name, now.Sub(t.last).Round(time.Microsecond))
	t.last = now
}

func (t *initSteps) String() string { return strings.TrimSpace(string(t.out)) }
