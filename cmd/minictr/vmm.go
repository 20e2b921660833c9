//go:build !lean

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/pflag"

	"github.com/minictr/minictr/vmm"
	"github.com/minictr/minictr/vmm/guest"
	"github.com/minictr/minictr/vmm/initramfs"
	"github.com/minictr/minictr/vmm/linux"
)

func init() {
	register(&command{
		Name:    "vmm",
		Summary: "native KVM monitor: vmm run (boot Linux), vmm hello (our own guests)",
		Run:     runVMM,
	})
}

const vmmUsage = `usage: minictr vmm run --kernel K [--initrd I] [--cmdline C] [--mem 256M] [--timeout 30s]
       minictr vmm hello [--mode real|protected|long|user] [--trace]
       minictr vmm exec --rootfs DIR [--vmm qemu|minictr] [--kernel K] [--env K=V] -- CMD [ARG...]
       minictr vmm kernel      # fetch Debian's kernel into the store, print its paths
       minictr vmm initramfs [--rootfs DIR] [--init minictr-init] -o FILE -- CMD [ARG...]`

func runVMM(g *Globals, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("vmm: missing subcommand\n%s", vmmUsage)
	}
	switch args[0] {
	case "hello":
		return vmmHello(args[1:])
	case "run":
		return vmmRun(args[1:])
	case "initramfs":
		return vmmInitramfs(args[1:])
	case "exec":
		return vmmExec(args[1:])
	case "kernel":
		kf, err := linux.DebianKernel(context.Background(), "")
		if err != nil {
			return err
		}
		fmt.Printf("package %s\nbzImage %s\nvmlinux %s\n", kf.Package, kf.Vmlinuz, kf.Vmlinux)
		return nil
	}
	return fmt.Errorf("vmm: unknown subcommand %q\n%s", args[0], vmmUsage)
}

func vmmHello(args []string) error {
	fs := pflag.NewFlagSet("vmm hello", pflag.ContinueOnError)
	mode := fs.String("mode", "long", "guest CPU mode: real, protected, long, user (ring-3 workload), or echo (serial input to output, up to a newline)")
	trace := fs.Bool("trace", false, "print every VM exit and the final registers on stderr")
	iters := fs.Uint64("iterations", 100_000_000, "user mode: iterations of the ring-3 CPU-bound loop")
	exits := fs.Uint32("exits", 10_000, "user mode: nop hypercalls, to measure the exit round trip")
	exitRing := fs.Int("exit-ring", 3, "user mode: make the nop hypercalls from ring 3 or from the ring-0 stub (0)")
	timeout := fs.Duration("timeout", 60*time.Second, "stop the guest after this long")
	quiet := fs.Bool("quiet", false, "print only the guest's output")
	check := fs.Bool("check", true, "user mode: compute the loop's result on the host too, and compare")
	writePVH := fs.String("write-pvh", "", "write the protected-mode hello guest as a PVH ELF (for qemu -kernel) to this file and exit")
	writeHost := fs.String("write-host-loop", "", "write the user guest's workload loop as a static host executable to this file and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *writePVH != "" {
		return os.WriteFile(*writePVH, guest.HelloPVH("hello from protected mode\n"), 0o644)
	}
	if *writeHost != "" {
		return os.WriteFile(*writeHost, guest.HostLoopELF(*iters), 0o755)
	}
	var gst *guest.Guest
	var err error
	cfg := vmm.Config{Console: os.Stdout, Timeout: *timeout}
	if *mode == "echo" {
		gst, cfg.Input = guest.Echo(), os.Stdin
	} else if guest.Mode(*mode) == guest.User {
		o := guest.UserOptions{Iterations: *iters, NopExits: *exits, Message: "hello from ring 3\n", NoCheck: !*check}
		switch *exitRing {
		case 0:
			o.KernelNopExits, o.NopExits = o.NopExits, 0
		case 3:
		default:
			return fmt.Errorf("vmm hello: --exit-ring %d: want 0 or 3", *exitRing)
		}
		gst = guest.UserGuest(o)
	} else if gst, err = guest.Hello(guest.Mode(*mode), "hello from "+*mode+" mode\n"); err != nil {
		return err
	}
	if *trace {
		cfg.Trace = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := vmm.RunGuest(ctx, gst, cfg)
	if err != nil {
		return err
	}
	if *trace {
		fmt.Fprintf(os.Stderr, "stopped: %s after %d exits\n%s", res.Reason, res.Exits.Total, vmm.FormatRegs(&res.Regs))
	}
	if *quiet {
		return nil
	}
	switch gst.Mode {
	case guest.User:
		check := "not checked"
		if gst.WantValues != nil {
			check = fmt.Sprintf("host computes %#x", gst.WantValues[0])
		}
		fmt.Printf("guest: %d iterations in ring 3, result %#x (%s), %d exits (%d signals), %s total\n",
			*iters, res.Values[0], check, res.Exits.Total, res.Exits.Interrupted, res.Duration.Round(time.Microsecond))
		if res.Exits.Nop > 1 {
			per := res.Exits.LastNop.Sub(res.Exits.FirstNop) / time.Duration(res.Exits.Nop-1)
			fmt.Printf("exit round trip from ring %d (guest OUT -> VMM -> guest): %d ns\n", *exitRing, per.Nanoseconds())
		}
	default:
		fmt.Printf("guest halted, RAX = %#x (expected %#x), %d exits, %s\n", res.Regs.RAX, gst.WantRAX, res.Exits.Total, res.Duration.Round(time.Microsecond))
	}
	return nil
}

func vmmRun(args []string) error {
	fs := pflag.NewFlagSet("vmm run", pflag.ContinueOnError)
	kernel := fs.String("kernel", "", "kernel: bzImage (payload decompressed on the host) or vmlinux ELF (default: Debian's, downloaded once into the store)")
	initrd := fs.String("initrd", "", "initramfs (cpio, optionally compressed)")
	cmdline := fs.String("cmdline", "console=ttyS0", "kernel command line")
	mem := fs.String("mem", "256M", "guest memory (K, M or G suffix)")
	timeout := fs.Duration("timeout", 0, "stop the guest after this long (0: no limit)")
	stopOn := fs.String("stop-on", "", "stop the guest when the console prints this string")
	trace := fs.Bool("trace", false, "print every VM exit on stderr")
	useQEMU := fs.Bool("qemu", false, "boot with qemu -M microvm instead of our VMM (KVM where it runs kernels at full speed, TCG otherwise); needs an initramfs built by 'vmm initramfs' and reports its command's exit status")
	compat := fs.Bool("compat-cpuid", false, "hide CX16, XSAVE and SMAP from the guest (for a nested paravirtual KVM that cannot emulate them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kernel == "" {
		kf, err := linux.DebianKernel(context.Background(), "")
		if err != nil {
			return fmt.Errorf("vmm run: no --kernel, and Debian's kernel is not available: %w", err)
		}
		*kernel = kf.Vmlinux
		fmt.Fprintf(os.Stderr, "minictr: kernel %s (%s)\n", *kernel, kf.Package)
	}
	size, err := vmm.ParseSize(*mem)
	if err != nil {
		return fmt.Errorf("vmm run: --mem: %w", err)
	}
	if *useQEMU {
		return vmmRunQEMU(*kernel, *initrd, *cmdline, size, *timeout)
	}
	cfg := vmm.Config{MemSize: size, Console: os.Stdout, Input: os.Stdin, Timeout: *timeout, StopOnOutput: *stopOn, CompatCPUID: *compat}
	if *trace {
		cfg.Trace = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := vmm.BootLinux(ctx, vmm.LinuxConfig{Config: cfg, Kernel: *kernel, Initrd: *initrd, Cmdline: *cmdline})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nminictr: guest stopped: %s after %s (%d exits)\n", res.Reason, res.Duration.Round(time.Millisecond), res.Exits.Total)
	if res.Reason == "timeout" {
		return ExitCode(124)
	}
	return ExitCode(res.ExitCode)
}

func vmmInitramfs(args []string) error {
	fs := pflag.NewFlagSet("vmm initramfs", pflag.ContinueOnError)
	rootfs := fs.String("rootfs", "", "directory tree to put in the initramfs (e.g. an unpacked image)")
	initPath := fs.String("init", "", "static init binary (default: minictr-init next to minictr, or $MINICTR_INIT)")
	out := fs.StringP("output", "o", "", "output file (cpio newc)")
	env := fs.StringArray("env", nil, "environment variable for the command (KEY=VALUE, repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return fmt.Errorf("vmm initramfs: need -o FILE and a command")
	}
	if *initPath == "" {
		p, err := initramfs.FindInit()
		if err != nil {
			return err
		}
		*initPath = p
	}
	initBin, err := os.ReadFile(*initPath)
	if err != nil {
		return fmt.Errorf("vmm initramfs: read init: %w", err)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("vmm initramfs: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = initramfs.Build(w, *rootfs, initBin, fs.Args(), *env)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	return nil
}

func vmmRunQEMU(kernel, initrd, cmdline string, size uint64, timeout time.Duration) error {
	if initrd == "" {
		return fmt.Errorf("vmm run --qemu: --initrd is required (an initramfs from 'vmm initramfs')")
	}
	data, err := os.ReadFile(kernel)
	if err != nil {
		return fmt.Errorf("vmm run --qemu: %w", err)
	}
	if linux.IsBzImage(data) { // qemu boots the ELF through its PVH note: extract it
		tmp, err := os.CreateTemp("", "minictr-vmlinux-")
		if err != nil {
			return err
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		if err := linux.ExtractVmlinux(kernel, tmp.Name()); err != nil {
			return err
		}
		kernel = tmp.Name()
	}
	accel, why := initramfs.DetectAccel()
	fmt.Fprintf(os.Stderr, "minictr: qemu: %s\n", why)
	if cmdline == "console=ttyS0" {
		cmdline = "" // RunQEMU adds its own console arguments
	}
	code, err := initramfs.RunQEMU(context.Background(), initramfs.QEMUConfig{
		Kernel: kernel, Initrd: initrd, Cmdline: cmdline, MemMiB: int(size >> 20), Accel: accel,
		Console: os.Stdout, Timeout: timeout,
	})
	if err != nil {
		return err
	}
	return ExitCode(code)
}

// vmmExec runs a command of a root filesystem under a guest kernel: what
// `run --isolation vm IMAGE` does once the image is unpacked.
func vmmExec(args []string) error {
	fs := pflag.NewFlagSet("vmm exec", pflag.ContinueOnError)
	rootfs := fs.String("rootfs", "", "root filesystem of the guest (an unpacked image)")
	vmmName := fs.String("vmm", "", "qemu or minictr (default: minictr where KVM runs guest kernels at full speed, else qemu)")
	kernel := fs.String("kernel", "", "kernel (default: Debian's, fetched once into the store)")
	initPath := fs.String("init", "", "static init (default: minictr-init next to minictr, or $MINICTR_INIT)")
	env := fs.StringArray("env", nil, "environment variable for the command (KEY=VALUE, repeatable)")
	mem := fs.String("mem", "256M", "guest memory")
	timeout := fs.Duration("timeout", 2*time.Minute, "stop the guest after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("vmm exec: no command")
	}
	size, err := vmm.ParseSize(*mem)
	if err != nil {
		return fmt.Errorf("vmm exec: --mem: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code, err := vmm.RunImage(ctx, vmm.ImageRun{
		Rootfs: *rootfs, Args: fs.Args(), Env: *env, VMM: *vmmName, Kernel: *kernel, Init: *initPath,
		MemMiB: int(size >> 20), Timeout: *timeout, Console: os.Stdout, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	return ExitCode(code)
}
