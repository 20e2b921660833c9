package vmm

import (
	"context"
	"fmt"
	"os"

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
