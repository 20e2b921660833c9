package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/minictr/minictr/runtime"
	rspec "github.com/minictr/minictr/runtime/spec"
)

func init() {
	register(&command{Name: "run", Summary: "create and start a container from a bundle (-b) or an IMAGE, and wait for it", Run: cmdRun})
	register(&command{Name: "exec", Summary: "run another process in a running container", Run: cmdExec})
	register(&command{Name: "init", Summary: "container init (internal)", Hidden: true, Run: func(*Globals, []string) error { return runtime.Init() }})
}

// imageRun is set by the image layer: `run [flags] IMAGE [CMD...]`. The two forms are told
// apart by isBundleRun.
var imageRun func(g *Globals, args []string) error

// isBundleRun: the runc form is `run [-b BUNDLE] [flags] ID`; it is chosen when --bundle/-b
// is given, or when no image layer is built in, or when there is a single argument and the
// current directory holds a config.json (runc's default bundle is the current directory).
func isBundleRun(args []string) bool {
	if imageRun == nil {
		return true
	}
	positional := 0
	for _, a := range args {
		switch {
		case a == "-b" || a == "--bundle" || len(a) > 9 && a[:9] == "--bundle=":
			return true
		case len(a) > 0 && a[0] != '-':
			positional++
		}
	}
	if positional == 1 {
		if _, err := os.Stat("config.json"); err == nil {
			return true
		}
	}
	return false
}

func cmdRun(g *Globals, args []string) error {
	if !isBundleRun(args) {
		return imageRun(g, args)
	}
	fs := newFlags("run")
	o := &runtime.CreateOptions{Root: g.Root}
	fs.StringVarP(&o.Bundle, "bundle", "b", ".", "bundle directory")
	fs.StringVar(&o.PidFile, "pid-file", "", "write the init's pid to this file")
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket to send the pty master to")
	fs.BoolVar(&o.NoPivot, "no-pivot", false, "switch root with MS_MOVE and chroot instead of pivot_root")
	fs.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N more fds (from 3 on) to the container")
	detach := fs.BoolP("detach", "d", false, "do not wait for the container; leave it running")
	keep := fs.Bool("keep", false, "do not delete the container after it exits")
	fs.Bool("no-new-keyring", false, "accepted for runc compatibility")
	rest, err := parse(fs, args, 1, 1, "[-b BUNDLE] [flags] ID")
	if err != nil {
		return err
	}
	o.ID = rest[0]
	return runBundle(g, o, *detach, *keep)
}

// runBundle is create + start + wait + delete, with the terminal relayed when the spec asks
// for one and no console socket was given.
func runBundle(g *Globals, o *runtime.CreateOptions, detach, keep bool) error {
	var relay *runtime.TerminalRelay
	// The config is read here once, to see whether it wants a terminal, and create uses it
	// (errors are left for create to report with full context).
	if spec, data, err := rspec.LoadBytes(o.Bundle); err == nil {
		o.Spec, o.SpecJSON = spec, data
	}
	if o.ConsoleSocket == "" && !detach && o.Spec != nil && o.Spec.Process != nil && o.Spec.Process.Terminal {
		var err error
		if relay, err = runtime.NewTerminalRelay(); err != nil {
			return err
		}
		defer relay.Close()
		o.ConsoleConn = relay.Remote()
	}
	st, err := createShielded(g, o)
	if err != nil {
		return err
	}
	cleanup := func() {
		if !keep {
			deleteContainer(g, o.ID, true)
		}
	}
	if relay != nil {
		if err := relay.Start(); err != nil {
			cleanup()
			return err
		}
	}
	t0 := time.Now()
	if err := runtime.Start(g.Root, o.ID); err != nil {
		cleanup()
		return err
	}
	slog.Debug("run: started", "start", time.Since(t0).String())
	if detach {
		return nil
	}
	t0 = time.Now()
	code := waitForeground(g, relay, st.Pid, st)
	t1 := time.Now()
	cleanup()
	slog.Debug("run: waited and deleted", "wait", t1.Sub(t0).String(), "delete", time.Since(t1).String())
	return ExitCode(code)
}
