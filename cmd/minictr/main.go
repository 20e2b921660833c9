// Command minictr is one binary with three kinds of virtualization: an OCI container runtime,
// a process VM for bytecode, and a small KVM monitor.
//
// This package is the CLI only: it parses flags and calls into runtime/, image/, vm/ and vmm/.
// Each subcommand lives in its own file and registers itself with register() from an init
// function, so adding a verb never touches this file.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/minictr/minictr/runtime"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Globals are the flags that come before the subcommand, as runc accepts them
// (containerd's shim and podman's conmon pass --root, --log and --log-format).
type Globals struct {
	Root          string // state directory for containers
	Log           string // log file (default: stderr)
	LogFormat     string // text or json
	Debug         bool
	SystemdCgroup bool
	Rootless      string
}

// command is one subcommand. Run receives the arguments after the subcommand's name and parses
// its own flags.
type command struct {
	Name    string
	Summary string
	Run     func(g *Globals, args []string) error
	Hidden  bool
}

var commands = map[string]*command{}

// register adds a subcommand; called from init functions of the files in this package.
func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("duplicate command " + c.Name)
	}
	commands[c.Name] = c
}

// ExitCode is returned by a command that wants minictr to exit with a given status without
// printing an error (for example `run`, which exits with the container's exit code).
type ExitCode int

func (e ExitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	os.Exit(mainExit(os.Args[1:]))
}

func mainExit(args []string) int {
	g := &Globals{}
	fs := pflag.NewFlagSet("minictr", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.StringVar(&g.Root, "root", envOr("MINICTR_ROOT", runtime.DefaultRoot()), "root directory for container state ($XDG_RUNTIME_DIR/minictr for a user)")
	fs.StringVar(&g.Log, "log", "", "log file (default: stderr)")
	fs.StringVar(&g.LogFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&g.Debug, "debug", false, "log debug messages")
	fs.BoolVar(&g.SystemdCgroup, "systemd-cgroup", false, "use systemd for cgroups (not supported: minictr manages cgroupfs directly)")
	fs.StringVar(&g.Rootless, "rootless", "auto", "ignore cgroup permission errors (true, false or auto)")
	showVersion := fs.BoolP("version", "v", false, "print the version")
	fs.Usage = func() { usage(os.Stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "minictr: %v\n", err)
		return 2
	}
	if *showVersion {
		fmt.Printf("minictr version %s\nspec: %s\n", version, ociVersion)
		return 0
	}
	if err := setupLogging(g); err != nil {
		fmt.Fprintf(os.Stderr, "minictr: %v\n", err)
		return 1
	}
	if g.SystemdCgroup {
		slog.Debug("--systemd-cgroup: minictr manages cgroupfs itself; a slice:prefix:name cgroupsPath is mapped to /slice/prefix-name.scope")
	}
	rest := fs.Args()
	if len(rest) == 0 {
		usage(os.Stderr, fs)
		return 2
	}
	if rest[0] == "help" {
		usage(os.Stdout, fs)
		return 0
	}
	c, ok := commands[rest[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "minictr: unknown command %q (see 'minictr help')\n", rest[0])
		return 2
	}
	err := c.Run(g, rest[1:])
	var code ExitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.Is(err, pflag.ErrHelp):
		return 0
	default:
		// The error goes to the log (containerd and conmon read the last "msg" of the JSON log
		// file) and to stderr.
		slog.Error(err.Error())
		if g.Log != "" || g.LogFormat == "json" {
			fmt.Fprintf(os.Stderr, "minictr: %v\n", err)
		}
		return 1
	}
}

// setupLogging installs the default slog logger: text or one JSON object per line with level,
// msg and time.
func setupLogging(g *Globals) error {
	var w io.Writer = os.Stderr
	if g.Log != "" {
		f, err := os.OpenFile(g.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open log file --log %s: %w", g.Log, err)
		}
		w = f
	}
	level := slog.LevelWarn
	if g.Debug {
		level = slog.LevelDebug
	}
	lowerLevel := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.LevelKey {
			a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
		}
		return a
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: lowerLevel}
	switch g.LogFormat {
	case "json":
		slog.SetDefault(slog.New(slog.NewJSONHandler(w, opts)))
	case "text", "":
		if g.Log == "" {
			slog.SetDefault(slog.New(&stderrHandler{level: level}))
		} else {
			slog.SetDefault(slog.New(slog.NewTextHandler(w, opts)))
		}
	default:
		return fmt.Errorf("--log-format %q: expected text or json", g.LogFormat)
	}
	return nil
}

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "usage: minictr [global flags] COMMAND [flags] [args]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n, c := range commands {
		if !c.Hidden {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintf(w, "\nglobal flags:\n%s", fs.FlagUsages())
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
