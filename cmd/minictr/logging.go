package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
)

// stderrHandler prints "minictr: msg key=value" lines for a person at a terminal.
type stderrHandler struct {
	level slog.Level
	attrs []slog.Attr
}

func (h *stderrHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *stderrHandler) Handle(_ context.Context, r slog.Record) error {
	prefix := "minictr: "
	if r.Level < slog.LevelError && r.Level >= slog.LevelWarn {
		prefix = "minictr: warning: "
	} else if r.Level < slog.LevelWarn {
		prefix = "minictr: debug: "
	}
	line := prefix + r.Message
	for _, a := range h.attrs {
		line += " " + a.String()
	}
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	_, err := fmt.Fprintln(os.Stderr, line)
	return err
}

func (h *stderrHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &stderrHandler{level: h.level, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *stderrHandler) WithGroup(string) slog.Handler { return h }
