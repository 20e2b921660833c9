package vmm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/minictr/minictr/vmm/initramfs"
	"github.com/minictr/minictr/vmm/linux"
)

// LinuxConfig is a Linux boot on our VMM.
type LinuxConfig struct {
	Config
	Kernel  string // bzImage or vmlinux
	Initrd  string // optional initramfs
	Cmdline string
}

// BootLinux loads a kernel (decompressing a bzImage on the host), its initramfs and command
// line into a new machine with an in-kernel irqchip, and runs it until it stops.
func BootLinux(ctx context.Context, lc LinuxConfig) (*Result, error) {
	data, err := os.ReadFile(lc.Kernel)
	if err != nil {
		return nil, fmt.Errorf("read kernel: %w", err)
	}
	k, err := linux.ParseKernel(data)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", lc.Kernel, err)
	}
	var initrd []byte
	if lc.Initrd != "" {
		if initrd, err = os.ReadFile(lc.Initrd); err != nil {
			return nil, fmt.Errorf("read initramfs: %w", err)
		}
	}
	cfg := lc.Config
	cfg.IRQChip = true
	m, err := New(cfg)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if err := linux.Load(m.Memory(), m.VCPU(), k, linux.BootConfig{Cmdline: lc.Cmdline, Initrd: initrd}); err != nil {
		return nil, fmt.Errorf("kernel %s: %w", lc.Kernel, err)
	}
	return m.Run(ctx)
}

// RunInitramfs boots a kernel with an initramfs built by initramfs.Build on our VMM and
// returns the command's exit status, read from the init's status line (the init also writes
// it to the debug exit port, which stops the machine at once).
func RunInitramfs(ctx context.Context, lc LinuxConfig) (int, *Result, error) {
	var console bytes.Buffer
	if lc.Console != nil {
		f := &initramfs.ConsoleFilter{W: lc.Console}
		defer f.Flush()
		lc.Console = io.MultiWriter(&console, f)
	} else {
		lc.Console = &console
	}
	if lc.Cmdline == "" {
		lc.Cmdline = "console=ttyS0 panic=-1 quiet loglevel=1 acpi=off"
	}
	res, err := BootLinux(ctx, lc)
	if err != nil {
		return -1, res, err
	}
	code, perr := initramfs.ParseExitStatus(console.Bytes())
	if perr != nil {
		return -1, res, fmt.Errorf("guest stopped (%s) without reporting an exit status: %w", res.Reason, perr)
	}
	return code, res, nil
}
