//go:build !lean

package main

// `minictr run [flags] IMAGE [CMD...]`, docker-style: the image's config becomes a spec (package
// image), the container gets a network (package runtime/network), then the runtime's create,
// start and wait run as for a bundle.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/pflag"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/minictr/minictr/image"
	"github.com/minictr/minictr/image/reference"
	"github.com/minictr/minictr/image/registry"
	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/runtime"
	"github.com/minictr/minictr/runtime/caps"
	"github.com/minictr/minictr/runtime/network"
	"github.com/minictr/minictr/runtime/seccomp"
)

func init() {
	imageRun = cmdRunImage
	afterDeleteHooks = append(afterDeleteHooks, releaseImageContainer)
	register(&command{Name: releaseCommand, Summary: "release what run IMAGE set up for a deleted container (internal: minictr-runtime's delete)",
		Hidden: true, Run: cmdRelease})
}

type imageRunFlags struct {
	store                  *string
	rm, detach, tty, stdin *bool
	name, network          *string
	ports, capAdd, capDrop *[]string
	privileged             *bool
	securityOpt            *[]string
	entrypoint             *string
	tlsVerify              *bool
	opts                   image.RunOptions
}

func cmdRunImage(g *Globals, args []string) error {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetInterspersed(false) // the first argument is the image; what follows is its command
	f := &imageRunFlags{store: storeFlag(fs)}
	f.rm = fs.Bool("rm", false, "delete the container when it exits")
	f.detach = fs.BoolP("detach", "d", false, "leave the container running and print its id")
	f.tty = fs.BoolP("tty", "t", false, "give the process a terminal")
	f.stdin = fs.BoolP("interactive", "i", false, "keep stdin open")
	f.name = fs.String("name", "", "container name (and id)")
	f.network = fs.String("network", network.ModeBridge, "bridge, none, host or container:ID")
	f.ports = fs.StringArrayP("publish", "p", nil, "publish a port: [hostip:]hostport:ctrport[/tcp|udp]")
	f.capAdd = fs.StringArray("cap-add", nil, "add a capability (or ALL)")
	f.capDrop = fs.StringArray("cap-drop", nil, "drop a capability (or ALL)")
	f.privileged = fs.Bool("privileged", false, "all capabilities, no seccomp filter, /proc and /sys not masked: the container is not isolated from the host")
	f.securityOpt = fs.StringArray("security-opt", nil, "seccomp=unconfined|PROFILE.json, no-new-privileges")
	f.entrypoint = fs.String("entrypoint", "", "replace the image's entrypoint")
	f.tlsVerify = fs.Bool("tls-verify", true, "verify the registry's TLS certificate when the image is pulled (false: also plain http)")
	env := fs.StringArrayP("env", "e", nil, "set an environment variable KEY=VALUE (KEY alone copies ours)")
	fs.StringVarP(&f.opts.Workdir, "workdir", "w", "", "working directory in the container")
	fs.StringVarP(&f.opts.User, "user", "u", "", "user: name|uid[:group|gid]")
	memory := fs.String("memory", "", "memory limit (e.g. 64m)")
	fs.Float64Var(&f.opts.CPUs, "cpus", 0, "CPU limit (e.g. 0.5)")
	fs.Int64Var(&f.opts.PidsLimit, "pids-limit", 0, "maximum number of processes")
	volumes := fs.StringArrayP("volume", "v", nil, "bind mount HOST:CTR[:ro|rw]")
	fs.StringVar(&f.opts.Hostname, "hostname", "", "hostname (default: the container id)")
	fs.BoolVar(&f.opts.ReadOnly, "read-only", false, "mount the root filesystem read-only")
	isolation := fs.String("isolation", "container", "container, or vm (the image under its own guest kernel)")
	fs.String("vmm", "", "with --isolation vm: minictr or qemu (default: what runs kernels at full speed here)")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: minictr run [flags] IMAGE [COMMAND [ARG...]]\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return fmt.Errorf("run: no image given (usage: minictr run [flags] IMAGE [COMMAND...]; the bundle form is minictr run -b BUNDLE ID)")
	}
	if *isolation == "vm" {
		if vmRunImage == nil {
			return fmt.Errorf("run --isolation vm: not built into this binary")
		}
		return vmRunImage(g, fs, rest)
	}
	if *isolation != "container" {
		return fmt.Errorf("run --isolation %q: expected container or vm", *isolation)
	}
	ref := rest[0]
	f.opts.Args = rest[1:]
	f.opts.Env = *env
	f.opts.Mounts = *volumes
	f.opts.TTY = *f.tty
	if fs.Changed("entrypoint") {
		ep := []string{}
		if *f.entrypoint != "" {
			ep = []string{*f.entrypoint}
		}
		f.opts.Entrypoint = &ep
	}
	if *memory != "" {
		n, err := parseBytes(*memory)
		if err != nil {
			return fmt.Errorf("--memory %q: %w", *memory, err)
		}
		f.opts.Memory = n
	}
	if *f.rm && *f.detach {
		return fmt.Errorf("run: --rm and --detach together: a detached container is removed with minictr delete")
	}
	id := *f.name
	if id == "" {
		id = randomID()
	}
	if err := runtime.CheckID(id); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	return runImage(g, f, ref, id)
}

// runImage prepares the bundle, network and security settings, then create/start/wait. Every
// failure undoes what was done.
func runImage(g *Globals, f *imageRunFlags, ref, id string) (err error) {
	s, err := store.Open(*f.store)
	if err != nil {
		return err
	}
	ports := make([]network.PortMapping, 0, len(*f.ports))
	for _, p := range *f.ports {
		pm, err := network.ParsePort(p)
		if err != nil {
			return fmt.Errorf("--publish %q: %w", p, err)
		}
		ports = append(ports, pm)
	}
	if len(ports) > 0 && *f.network != network.ModeBridge {
		return fmt.Errorf("--publish needs --network bridge (it is %s)", *f.network)
	}

	// 1. The image: from the store, or pulled when the reference names a registry and the
	// store does not have it yet (as docker run does).
	t0 := time.Now()
	if err := ensureImage(s, ref, *f.tlsVerify); err != nil {
		return err
	}
	// 2. The bundle: an overlay of the image's layers and a spec from its config.
	b, cleanupBundle, err := image.PrepareBundle(context.Background(), s, ref, id, f.opts)
	if err != nil {
		return err
	}
	created := false
	defer func() {
		if err != nil {
			if created {
				runtime.Delete(g.Root, id, true)
			}
			network.Teardown(networkStore(), id)
			cleanupBundle()
		}
	}()
	sp, err := readSpec(b.Dir)
	if err != nil {
		return err
	}
	slog.Debug("run IMAGE: bundle prepared", "mode", b.Mode, "took", time.Since(t0).String())

	// 3. Security: the default capability set and seccomp profile, adjusted by the flags.
	if err := applySecurityFlags(sp, f); err != nil {
		return err
	}

	// 4. Network: the namespace, and the /etc files the network fills in.
	netCfg := &network.Config{ID: id, Name: id, Mode: *f.network, Ports: ports, StoreDir: networkStore(), Hostname: sp.Hostname}
	if err := networkSpec(g, sp, netCfg, b.Dir); err != nil {
		return err
	}
	sp.Annotations[annStore] = *f.store
	sp.Annotations[annNetwork] = *f.network
	if err := writeSpec(b.Dir, sp); err != nil {
		return err
	}

	// 5. Create, then the network into the new namespace, then start.
	o := &runtime.CreateOptions{Root: g.Root, ID: id, Bundle: b.Dir}
	var relay *runtime.TerminalRelay
	if *f.tty && !*f.detach {
		if relay, err = runtime.NewTerminalRelay(); err != nil {
			return err
		}
		defer relay.Close()
		o.ConsoleConn = relay.Remote()
	} else if *f.tty {
		return fmt.Errorf("run -t with --detach: no terminal to attach to (leave out -t, or -d)")
	}
	if !*f.stdin && !*f.tty {
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			return err
		}
		defer devnull.Close()
		o.Stdio[0] = devnull
	}
	st, err := createShielded(g, o)
	if err != nil {
		return err
	}
	created = true
	if netCfg.Mode == network.ModeBridge {
		netCfg.NetnsPath = fmt.Sprintf("/proc/%d/ns/net", st.Pid)
		res, err := network.Setup(netCfg)
		if err != nil {
			return err
		}
		if _, _, _, err := network.WriteEtcFiles(filepath.Join(b.Dir, "etc"), netCfg, res); err != nil {
			return err
		}
	}
	if relay != nil {
		if err := relay.Start(); err != nil {
			return err
		}
	}
	if err := runtime.Start(g.Root, id); err != nil {
		return err
	}
	if *f.detach {
		fmt.Println(id)
		return nil
	}

	// 6. Wait, report, and clean up with --rm.
	code := waitForeground(g, relay, st.Pid, st)
	if *f.rm {
		t1 := time.Now()
		if _, err := runtime.Delete(g.Root, id, true); err != nil {
			return err
		}
		releaseAll(*f.store, id, *f.network)
		slog.Debug("run IMAGE: deleted", "took", time.Since(t1).String())
	}
	return ExitCode(code)
}

// ensureImage pulls ref when it is not in the store and names a registry host.
func ensureImage(s *store.Store, ref string, tlsVerify bool) error {
	_, err := image.Resolve(s, ref, ocispec.Platform{})
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return err
	}
	r, perr := reference.Parse(ref)
	if perr != nil || r.Host == "" {
		return err // a local name that is not there: the store's error says so
	}
	ctx, cancel := signalContext()
	defer cancel()
	_, _, err = registry.Pull(ctx, s, r, registry.Options{TLSVerify: tlsVerify, Progress: registry.NewProgress(os.Stderr)})
	return err
}

// applySecurityFlags sets capabilities and seccomp: the container default unless asked
// otherwise.
func applySecurityFlags(sp *specs.Spec, f *imageRunFlags) error {
	p := sp.Process
	if *f.privileged {
		// Every capability this runtime holds (not every one the kernel knows: a runtime that
		// lacks one, as in a nested container, cannot grant it).
		all, err := heldCapabilities()
		if err != nil {
			return err
		}
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
		sp.Linux.MaskedPaths, sp.Linux.ReadonlyPaths = nil, nil
		sp.Linux.Seccomp = nil
		for i := range sp.Mounts {
			if sp.Mounts[i].Destination == "/sys" || sp.Mounts[i].Destination == "/sys/fs/cgroup" {
				sp.Mounts[i].Options = removeOption(sp.Mounts[i].Options, "ro")
			}
		}
		return nil
	}
	set, err := caps.Adjust(caps.Default, *f.capAdd, *f.capDrop)
	if err != nil {
		return fmt.Errorf("--cap-add/--cap-drop: %w", err)
	}
	p.Capabilities = &specs.LinuxCapabilities{Bounding: set, Effective: set, Permitted: set}
	sp.Linux.Seccomp = seccomp.DefaultProfile()
	for _, o := range *f.securityOpt {
		switch {
		case o == "seccomp=unconfined" || o == "seccomp:unconfined":
			sp.Linux.Seccomp = nil
		case strings.HasPrefix(o, "seccomp="):
			data, err := os.ReadFile(strings.TrimPrefix(o, "seccomp="))
			if err != nil {
				return fmt.Errorf("--security-opt %s: %w", o, err)
			}
			var prof specs.LinuxSeccomp
			if err := json.Unmarshal(data, &prof); err != nil {
				return fmt.Errorf("--security-opt %s: expected an OCI linux.seccomp JSON object: %w", o, err)
			}
			sp.Linux.Seccomp = &prof
		case o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true":
			p.NoNewPrivileges = true
		default:
			return fmt.Errorf("--security-opt %q: expected seccomp=unconfined, seccomp=FILE or no-new-privileges", o)
		}
	}
	return nil
}

func heldCapabilities() ([]string, error) {
	cur, err := caps.ReadStatus("/proc/self/status")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range caps.Names() {
		if c, err := caps.ParseName(n); err == nil && c < 64 && cur.Permitted&(1<<uint(c)) != 0 {
			names = append(names, n)
		}
	}
	return names, nil
}

func removeOption(opts []string, o string) []string {
	var out []string
	for _, x := range opts {
		if x != o {
			out = append(out, x)
		}
	}
	return out
}

// networkSpec sets the spec's network namespace for the mode and bind-mounts the /etc files.
func networkSpec(g *Globals, sp *specs.Spec, cfg *network.Config, bundleDir string) error {
	setNetns := func(path string, keep bool) {
		var ns []specs.LinuxNamespace
		for _, n := range sp.Linux.Namespaces {
			if n.Type != specs.NetworkNamespace {
				ns = append(ns, n)
			}
		}
		if keep {
			ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: path})
		}
		sp.Linux.Namespaces = ns
	}
	mode := cfg.Mode
	switch {
	case mode == network.ModeBridge || mode == network.ModeNone:
		setNetns("", true)
	case mode == network.ModeHost:
		setNetns("", false)
		return nil // the host's /etc files are the image's business
	case strings.HasPrefix(mode, network.ModeContainer):
		other := strings.TrimPrefix(mode, network.ModeContainer)
		c, err := runtime.Load(g.Root, other)
		if err != nil {
			return fmt.Errorf("--network %s: %w", mode, err)
		}
		if c.State.Pid == 0 {
			return fmt.Errorf("--network %s: container %s is not running", mode, other)
		}
		setNetns(fmt.Sprintf("/proc/%d/ns/net", c.State.Pid), true)
		return nil
	default:
		return fmt.Errorf("--network %q: expected bridge, none, host or container:ID", mode)
	}
	etc := filepath.Join(bundleDir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	hosts, hostname, resolv, err := network.WriteEtcFiles(etc, cfg, nil)
	if err != nil {
		return err
	}
	for dst, src := range map[string]string{"/etc/hosts": hosts, "/etc/hostname": hostname, "/etc/resolv.conf": resolv} {
		sp.Mounts = append(sp.Mounts, specs.Mount{Destination: dst, Type: "bind", Source: src, Options: []string{"rbind", "rprivate"}})
	}
	return nil
}

func readSpec(bundle string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	var sp specs.Spec
	if err := json.Unmarshal(data, &sp); err != nil {
		return nil, fmt.Errorf("read generated config.json: %w", err)
	}
	if sp.Annotations == nil {
		sp.Annotations = map[string]string{}
	}
	return &sp, nil
}

func writeSpec(bundle string, sp *specs.Spec) error {
	data, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644)
}

// releaseImageContainer is the part of `delete` for containers made by `run IMAGE`: their
// network and their bundle (overlay mount, upper dir) in the image store.
func releaseImageContainer(g *Globals, st *runtime.State) error {
	store := st.Annotations[annStore]
	if store == "" {
		return nil // an OCI bundle container: nothing of ours
	}
	return releaseAll(store, st.ID, st.Annotations[annNetwork])
}

// cmdRelease is `release STORE NETWORK ID`: releaseAll for a container that the lean build
// (minictr-runtime, which has no image layer) deleted.
func cmdRelease(g *Globals, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("%s: want STORE NETWORK ID, got %q", releaseCommand, args)
	}
	return releaseAll(args[0], args[2], args[1])
}

// releaseAll removes the container's network (only the bridge mode sets one up: a teardown
// costs kernel grace periods even when there is nothing to remove) and its bundle.
func releaseAll(storeDir, id, netMode string) error {
	var first error
	if netMode == network.ModeBridge || netMode == "" {
		if err := network.Teardown(networkStore(), id); err != nil {
			first = err
		}
	}
	s, err := store.Open(storeDir)
	if err != nil {
		return err
	}
	if err := image.CleanupBundle(s, id); err != nil && first == nil {
		first = err
	}
	return first
}

// networkStore is where the network's leases and state live: one place for the host, as the
// bridge is one (not per image store).
func networkStore() string { return envOr("MINICTR_NETWORK_STORE", network.DefaultStoreDir) }

func randomID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// vmRunImage is set by the VMM wiring: `run --isolation vm IMAGE CMD`.
var vmRunImage func(g *Globals, fs *pflag.FlagSet, args []string) error
