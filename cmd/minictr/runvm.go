//go:build !lean

package main

// `minictr run --isolation vm IMAGE CMD`: the same image, under its own guest kernel. The
// image layer prepares the root filesystem and the spec (entrypoint, env, workdir), the VMM
// layer turns them into an initramfs and boots it with our VMM or with qemu.

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/minictr/minictr/image"
	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/vmm"
)

func init() { vmRunImage = cmdRunImageVM }

func cmdRunImageVM(g *Globals, fs *pflag.FlagSet, rest []string) error {
	val := func(name string) string { return fs.Lookup(name).Value.String() }
	// Flags of the container form that have no meaning in a VM are refused, not ignored.
	for _, name := range []string{"detach", "publish", "volume", "network", "cap-add", "cap-drop", "privileged", "security-opt", "pids-limit", "cpus", "read-only", "tty", "name"} {
		if fs.Changed(name) {
			return fmt.Errorf("run --isolation vm: --%s is not supported under a guest kernel", name)
		}
	}
	s, err := store.Open(val("store"))
	if err != nil {
		return err
	}
	opts := image.RunOptions{Args: rest[1:], Workdir: val("workdir"), User: val("user"), Hostname: val("hostname")}
	if env, err := fs.GetStringArray("env"); err == nil {
		opts.Env = env
	}
	if fs.Changed("entrypoint") {
		ep := []string{}
		if e := val("entrypoint"); e != "" {
			ep = []string{e}
		}
		opts.Entrypoint = &ep
	}
	memMiB := 0
	if m := val("memory"); m != "" {
		n, err := parseBytes(m)
		if err != nil {
			return fmt.Errorf("--memory %q: %w", m, err)
		}
		memMiB = int(n >> 20)
	}
	id := "vm-" + randomID()
	b, cleanup, err := image.PrepareBundle(context.Background(), s, rest[0], id, opts)
	if err != nil {
		return err
	}
	defer cleanup()
	sp, err := readSpec(b.Dir)
	if err != nil {
		return err
	}
	if sp.Process.User.UID != 0 {
		return fmt.Errorf("run --isolation vm: --user / the image's USER (uid %d) is not supported yet: the guest init runs the command as root", sp.Process.User.UID)
	}
	code, err := vmm.RunImage(context.Background(), vmm.ImageRun{
		Rootfs: b.Rootfs, Args: sp.Process.Args, Env: sp.Process.Env, Dir: sp.Process.Cwd,
		Hostname: sp.Hostname, VMM: val("vmm"), MemMiB: memMiB,
		Console: os.Stdout, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	return ExitCode(code)
}
