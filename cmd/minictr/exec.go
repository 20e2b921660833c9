package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minictr/minictr/runtime"
	rspec "github.com/minictr/minictr/runtime/spec"
)

func cmdExec(g *Globals, args []string) error {
	fs := newFlags("exec")
	o := &runtime.ExecOptions{Root: g.Root}
	procFile := fs.StringP("process", "p", "", "process.json (an OCI Process) to run instead of args")
	fs.StringVar(&o.PidFile, "pid-file", "", "write the process's pid to this file")
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket to send the pty master to")
	fs.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N more fds (from 3 on) to the process")
	detach := fs.BoolP("detach", "d", false, "do not wait for the process")
	tty := fs.BoolP("tty", "t", false, "allocate a terminal")
	env := fs.StringArrayP("env", "e", nil, "set an environment variable KEY=VALUE")
	cwd := fs.String("cwd", "", "working directory in the container")
	user := fs.StringP("user", "u", "", "uid[:gid]")
	groups := fs.StringArray("additional-gids", nil, "additional gids")
	capsAdd := fs.StringArray("cap", nil, "add a capability")
	nnp := fs.Bool("no-new-privs", false, "set no_new_privs")
	rest, err := parse(fs, args, 1, -1, "[flags] ID [COMMAND [ARG...]]")
	if err != nil {
		return err
	}
	o.ID = rest[0]
	c, err := runtime.Load(g.Root, o.ID)
	if err != nil {
		return err
	}
	var p *specs.Process
	if *procFile != "" {
		data, err := os.ReadFile(*procFile)
		if err != nil {
			return fmt.Errorf("read --process %s: %w", *procFile, err)
		}
		p = &specs.Process{}
		if err := json.Unmarshal(data, p); err != nil {
			return fmt.Errorf("parse --process %s: expected an OCI process JSON object: %w", *procFile, err)
		}
	} else {
		if len(rest) < 2 {
			return fmt.Errorf("exec: no command given (args after the id, or --process FILE)")
		}
		// Defaults come from the container's own process, as in runc.
		spec, err := c.State.Spec()
		if err != nil {
			return err
		}
		base := spec.Process
		cp := *base
		p = &cp
		p.Args = rest[1:]
		p.Terminal = *tty
		p.Env = append(append([]string{}, base.Env...), *env...)
		p.Cwd = base.Cwd
		if *cwd != "" {
			p.Cwd = *cwd
		}
		if *user != "" {
			uid, gid, err := parseUser(*user)
			if err != nil {
				return err
			}
			p.User = specs.User{UID: uid, GID: gid}
		}
		for _, gs := range *groups {
			n, err := strconv.ParseUint(gs, 10, 32)
			if err != nil {
				return fmt.Errorf("--additional-gids %q: expected a number", gs)
			}
			p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(n))
		}
		if len(*capsAdd) > 0 && p.Capabilities != nil {
			cc := *p.Capabilities
			for _, name := range *capsAdd {
				cc.Bounding = append(cc.Bounding, name)
				cc.Effective = append(cc.Effective, name)
				cc.Permitted = append(cc.Permitted, name)
			}
			p.Capabilities = &cc
		}
		if *nnp {
			p.NoNewPrivileges = true
		}
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	for i, r := range p.Rlimits {
		if _, ok := rspec.RlimitResource(r.Type); !ok {
			return fmt.Errorf("process.rlimits[%d].type %q: unknown rlimit", i, r.Type)
		}
	}
	o.Process = p
	var relay *runtime.TerminalRelay
	if p.Terminal && o.ConsoleSocket == "" && !*detach {
		if relay, err = runtime.NewTerminalRelay(); err != nil {
			return err
		}
		defer relay.Close()
		o.ConsoleConn = relay.Remote()
	}
	pid, err := runtime.Exec(o)
	if err != nil {
		return err
	}
	if *detach {
		return nil
	}
	if relay != nil {
		if err := relay.Start(); err != nil {
			return err
		}
	}
	return ExitCode(waitForeground(g, relay, pid, nil))
}

// parseUser parses "uid" or "uid:gid".
func parseUser(s string) (uint32, uint32, error) {
	u, gs, _ := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--user %q: expected uid[:gid] as numbers", s)
	}
	gid := uint64(0)
	if gs != "" {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("--user %q: expected uid[:gid] as numbers", s)
		}
	}
	return uint32(uid), uint32(gid), nil
}
