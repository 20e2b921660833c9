package runtime

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minictr/minictr/runtime/cgroups"
)

// ExecOptions are the flags of `exec`.
type ExecOptions struct {
	Root          string
	ID            string
	Process       *specs.Process
	PidFile       string
	ConsoleSocket string
	ConsoleConn   *os.File
	PreserveFDs   int
	Stdio         [3]*os.File
}

// Exec starts another process in a running container: it joins all of the container's
// namespaces and its cgroup, and gets the container's seccomp filter. It returns the pid; the
// process outlives this call (the caller waits for it, or not with --detach).
func Exec(o *ExecOptions) (int, error) {
	c, err := Load(o.Root, o.ID)
	if err != nil {
		return 0, err
	}
	if c.State.Status != specs.StateRunning && c.State.Status != specs.StateCreated {
		return 0, fmt.Errorf("cannot exec in container %q: it is %s", o.ID, c.State.Status)
	}
	p := o.Process
	if p == nil || len(p.Args) == 0 {
		return 0, fmt.Errorf("exec: no command (give args or --process FILE)")
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	if p.Terminal && o.ConsoleSocket == "" && o.ConsoleConn == nil {
		return 0, fmt.Errorf("exec with a terminal needs --console-socket (or run it in the foreground)")
	}
	console := o.ConsoleConn
	if o.ConsoleSocket != "" {
		if console, err = dialConsole(o.ConsoleSocket); err != nil {
			return 0, err
		}
		defer console.Close()
	}
	s, err := c.State.Spec()
	if err != nil {
		return 0, err
	}
	// The namespaces are the init's, still alive: check the pid has not been reused.
	join := map[specs.LinuxNamespaceType]string{}
	for t, path := range c.State.Namespaces {
		join[t] = path
	}
	// The init's start time is checked again right before the joins, by Load above; a pid
	// reused in between would need the container to exit in that window.
	cfg := &initConfig{Exec: true, ID: o.ID, Spec: s, Process: p, Bundle: c.State.Bundle}
	ip, err := startInit(&startInitOptions{
		req: namespaceRequest(s, join), cfg: cfg, spec: s,
		cg:      cgroups.Load(cgroups.Mode(c.State.CgroupMode), c.State.CgroupPaths),
		console: console, preserve: o.PreserveFDs, stdio: o.Stdio,
	})
	if err != nil {
		return 0, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, ip.pid); err != nil {
			return ip.pid, err
		}
	}
	return ip.pid, nil
}
