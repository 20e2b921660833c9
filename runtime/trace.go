package runtime

import (
	"log/slog"
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
