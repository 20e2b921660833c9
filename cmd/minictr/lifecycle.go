package main

// The OCI lifecycle verbs, runc-compatible: create, start, state, kill, delete, list, pause,
// resume, ps, update. Each parses its flags and calls package runtime.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/pflag"

	"github.com/minictr/minictr/runtime"
)

func init() {
	register(&command{Name: "create", Summary: "create a container from a bundle (its init waits for start)", Run: cmdCreate})
	register(&command{Name: "start", Summary: "start a created container", Run: cmdStart})
	register(&command{Name: "state", Summary: "print the OCI state of a container as JSON", Run: cmdState})
	register(&command{Name: "kill", Summary: "send a signal to a container's init (or all its processes)", Run: cmdKill})
	register(&command{Name: "delete", Summary: "delete a stopped container (--force: any)", Run: cmdDelete})
	register(&command{Name: "list", Summary: "list containers", Run: cmdList})
	register(&command{Name: "pause", Summary: "freeze all processes of a container", Run: cmdPause})
	register(&command{Name: "resume", Summary: "thaw a paused container", Run: cmdResume})
	register(&command{Name: "ps", Summary: "list the processes of a container", Run: cmdPs})
	register(&command{Name: "update", Summary: "change a container's resource limits", Run: cmdUpdate})
}

// parse parses a subcommand's flags and checks the number of positional arguments.
func parse(fs *pflag.FlagSet, args []string, minArgs, maxArgs int, usage string) ([]string, error) {
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: minictr %s %s\n%s", fs.Name(), usage, fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := fs.Args()
	if len(rest) < minArgs || (maxArgs >= 0 && len(rest) > maxArgs) {
		return nil, fmt.Errorf("%s: usage: minictr %s %s", fs.Name(), fs.Name(), usage)
	}
	return rest, nil
}

func newFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetInterspersed(false)
	return fs
}

func cmdCreate(g *Globals, args []string) error {
	fs := newFlags("create")
	o := &runtime.CreateOptions{Root: g.Root}
	fs.StringVarP(&o.Bundle, "bundle", "b", ".", "bundle directory")
	fs.StringVar(&o.PidFile, "pid-file", "", "write the init's pid to this file")
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket to send the pty master to")
	fs.BoolVar(&o.NoPivot, "no-pivot", false, "switch root with MS_MOVE and chroot instead of pivot_root")
	fs.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N more fds (from 3 on) to the container")
	fs.Bool("no-new-keyring", false, "accepted for runc compatibility (no session keyring is made)")
	rest, err := parse(fs, args, 1, 1, "[flags] ID")
	if err != nil {
		return err
	}
	o.ID = rest[0]
	_, err = createShielded(g, o)
	return err
}

func cmdStart(g *Globals, args []string) error {
	rest, err := parse(newFlags("start"), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	return runtime.Start(g.Root, rest[0])
}

func cmdState(g *Globals, args []string) error {
	rest, err := parse(newFlags("state"), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	c, err := runtime.Load(g.Root, rest[0])
	if err != nil {
		return err
	}
	// The OCI state plus the fields runc prints, which containerd's runc client reads
	// (rootfs, created; owner is empty for a root-owned container, as in runc).
	return printJSON(struct {
		specs.State
		Rootfs  string    `json:"rootfs"`
		Created time.Time `json:"created"`
		Owner   string    `json:"owner"`
	}{c.OCIState(), c.State.Rootfs, c.State.Created, ""})
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdKill(g *Globals, args []string) error {
	fs := newFlags("kill")
	all := fs.BoolP("all", "a", false, "send the signal to every process of the container")
	rest, err := parse(fs, args, 1, 2, "[--all] ID [SIGNAL]")
	if err != nil {
		return err
	}
	sigName := "TERM"
	if len(rest) == 2 {
		sigName = rest[1]
	}
	sig, err := runtime.ParseSignal(sigName)
	if err != nil {
		return err
	}
	return runtime.Kill(g.Root, rest[0], sig, *all)
}

func cmdDelete(g *Globals, args []string) error {
	fs := newFlags("delete")
	force := fs.BoolP("force", "f", false, "kill a running container first; succeed if it does not exist")
	rest, err := parse(fs, args, 1, 1, "[--force] ID")
	if err != nil {
		return err
	}
	return deleteContainer(g, rest[0], *force)
}

// deleteContainer deletes a container, then releases what `run IMAGE` gave it (read from its
// state before the state is gone).
func deleteContainer(g *Globals, id string, force bool) error {
	st, err := runtime.Delete(g.Root, id, force)
	if err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	for _, h := range afterDeleteHooks {
		if err := h(g, st); err != nil {
			return err
		}
	}
	return nil
}

// afterDeleteHooks release what other layers set up for a container (the image layer's
// bundle, the network); they register themselves here.
var afterDeleteHooks []func(g *Globals, st *runtime.State) error

func cmdList(g *Globals, args []string) error {
	fs := newFlags("list")
	format := fs.StringP("format", "f", "table", "table or json")
	quiet := fs.BoolP("quiet", "q", false, "print ids only")
	if _, err := parse(fs, args, 0, 0, "[--format table|json] [-q]"); err != nil {
		return err
	}
	cs, err := runtime.List(g.Root)
	if err != nil {
		return err
	}
	type item struct {
		specs.State
		Created time.Time `json:"created"`
	}
	switch {
	case *quiet:
		for _, c := range cs {
			fmt.Println(c.State.ID)
		}
	case *format == "json":
		out := []item{}
		for _, c := range cs {
			out = append(out, item{c.OCIState(), c.State.Created})
		}
		return printJSON(out)
	case *format == "table":
		w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED")
		for _, c := range cs {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", c.State.ID, c.State.Pid, c.State.Status, c.State.Bundle, c.State.Created.Format(time.RFC3339))
		}
		return w.Flush()
	default:
		return fmt.Errorf("list --format %q: expected table or json", *format)
	}
	return nil
}

func cmdPause(g *Globals, args []string) error {
	rest, err := parse(newFlags("pause"), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	return runtime.Pause(g.Root, rest[0])
}

func cmdResume(g *Globals, args []string) error {
	rest, err := parse(newFlags("resume"), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	return runtime.Resume(g.Root, rest[0])
}

func cmdPs(g *Globals, args []string) error {
	fs := newFlags("ps")
	format := fs.StringP("format", "f", "table", "table or json")
	rest, err := parse(fs, args, 1, -1, "[--format table|json] ID [ps options]")
	if err != nil {
		return err
	}
	pids, err := runtime.Pids(g.Root, rest[0])
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(os.Stdout).Encode(pids)
	}
	if *format != "table" {
		return fmt.Errorf("ps --format %q: expected table or json", *format)
	}
	// As runc: run ps(1) with the given options (default -ef) and keep the header and the
	// lines whose PID column is one of the container's.
	psArgs := rest[1:]
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.Command("ps", psArgs...).Output()
	if err != nil {
		return fmt.Errorf("run ps %s: %w", strings.Join(psArgs, " "), err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps %s: no PID column in its output", strings.Join(psArgs, " "))
	}
	in := map[string]bool{}
	for _, p := range pids {
		in[strconv.Itoa(p)] = true
	}
	fmt.Println(lines[0])
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > col && in[f[col]] {
			fmt.Println(l)
		}
	}
	return nil
}

func cmdUpdate(g *Globals, args []string) error {
	fs := newFlags("update")
	resFile := fs.StringP("resources", "r", "", "LinuxResources JSON file, or - for stdin")
	memory := fs.String("memory", "", "memory limit (bytes, or with k/m/g)")
	memSwap := fs.String("memory-swap", "", "memory+swap limit")
	memRes := fs.String("memory-reservation", "", "memory soft limit")
	pids := fs.Int64("pids-limit", 0, "maximum number of processes")
	shares := fs.Uint64("cpu-shares", 0, "relative cpu weight")
	quota := fs.Int64("cpu-quota", 0, "cpu time per period (µs)")
	period := fs.Uint64("cpu-period", 0, "cpu period (µs)")
	cpus := fs.String("cpuset-cpus", "", "cpus allowed (e.g. 0-1)")
	mems := fs.String("cpuset-mems", "", "memory nodes allowed")
	rest, err := parse(fs, args, 1, 1, "[--resources FILE|-] [limit flags] ID")
	if err != nil {
		return err
	}
	r := &specs.LinuxResources{}
	if *resFile != "" {
		var data []byte
		if *resFile == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(*resFile)
		}
		if err != nil {
			return fmt.Errorf("read --resources %s: %w", *resFile, err)
		}
		if err := json.Unmarshal(data, r); err != nil {
			return fmt.Errorf("parse --resources %s: expected LinuxResources JSON: %w", *resFile, err)
		}
	}
	setMem := func(flag, v string, dst **int64) error {
		if v == "" {
			return nil
		}
		n, err := parseBytes(v)
		if err != nil {
			return fmt.Errorf("--%s %q: %w", flag, v, err)
		}
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		*dst = &n
		return nil
	}
	if r.Memory == nil && (*memory != "" || *memSwap != "" || *memRes != "") {
		r.Memory = &specs.LinuxMemory{}
	}
	if r.Memory != nil {
		if err := setMem("memory", *memory, &r.Memory.Limit); err != nil {
			return err
		}
		if err := setMem("memory-swap", *memSwap, &r.Memory.Swap); err != nil {
			return err
		}
		if err := setMem("memory-reservation", *memRes, &r.Memory.Reservation); err != nil {
			return err
		}
	}
	if fs.Changed("pids-limit") {
		r.Pids = &specs.LinuxPids{Limit: pids}
	}
	if fs.Changed("cpu-shares") || fs.Changed("cpu-quota") || fs.Changed("cpu-period") || *cpus != "" || *mems != "" {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		if fs.Changed("cpu-shares") {
			r.CPU.Shares = shares
		}
		if fs.Changed("cpu-quota") {
			r.CPU.Quota = quota
		}
		if fs.Changed("cpu-period") {
			r.CPU.Period = period
		}
		if *cpus != "" {
			r.CPU.Cpus = *cpus
		}
		if *mems != "" {
			r.CPU.Mems = *mems
		}
	}
	return runtime.Update(g.Root, rest[0], r)
}

// parseBytes parses "1048576", "64m", "1g", "512k"; -1 means unlimited.
func parseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	mult := int64(1)
	t := strings.ToLower(strings.TrimSuffix(strings.ToLower(s), "b"))
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "m"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "g"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("expected a size like 1048576, 512k, 64m or 1g")
	}
	return n * mult, nil
}
