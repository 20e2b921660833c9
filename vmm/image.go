package vmm

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/minictr/minictr/vmm/initramfs"
	"github.com/minictr/minictr/vmm/linux"
)

// ImageRun is one command of an unpacked image run under a guest kernel
// (`minictr run --isolation vm IMAGE CMD`).
type ImageRun struct {
	Rootfs   string   // the image's root filesystem, unpacked
	Args     []string // the command
	Env      []string
	Dir      string
	Hostname string

	// VMM is "qemu" or "minictr"; empty picks DefaultVMM().
	VMM string
	// Kernel is a bzImage or vmlinux; empty means Debian's (linux.DebianKernel).
	Kernel      string
	KernelCache string // default linux.DefaultKernelCache
	// Init is the static init binary; empty means initramfs.FindInit().
	Init    string
	MemMiB  int           // default: 256, or more for a large initramfs (its size x 2.5 + 128)
	Timeout time.Duration // default 2 minutes
	Console io.Writer     // the guest's console (the command's output)
	Log     io.Writer     // one line saying which VMM and accelerator run the guest (nil: none)
}

// DefaultVMM is qemu where our VMM cannot run a guest kernel at full speed (no /dev/kvm, or a
// nested paravirtual KVM that emulates guest kernel mode), minictr otherwise; with the reason.
func DefaultVMM() (string, string) {
	accel, why := initramfs.DetectAccel()
	if accel == initramfs.AccelKVM {
		return "minictr", "KVM runs guest kernels at full speed: using minictr's VMM"
	}
	return "qemu", why + " under qemu"
}

// RunImage builds an initramfs of r.Rootfs with our init and r.Args, boots it with the chosen
// VMM and returns the command's exit status.
func RunImage(ctx context.Context, r ImageRun) (int, error) {
	if len(r.Args) == 0 {
		return -1, fmt.Errorf("run under a guest kernel: no command")
	}
	if r.Timeout == 0 {
		r.Timeout = 2 * time.Minute
	}
	vmmName := r.VMM
	why := "chosen with --vmm"
	if vmmName == "" {
		vmmName, why = DefaultVMM()
	}
	if vmmName != "qemu" && vmmName != "minictr" {
		return -1, fmt.Errorf("run under a guest kernel: VMM %q: want qemu or minictr", vmmName)
	}
	kernel := r.Kernel
	if kernel == "" {
		kf, err := linux.DebianKernel(ctx, r.KernelCache)
		if err != nil {
			return -1, fmt.Errorf("default kernel: %w", err)
		}
		kernel = kf.Vmlinux
	}
	initPath := r.Init
	if initPath == "" {
		p, err := initramfs.FindInit()
		if err != nil {
			return -1, err
		}
		initPath = p
	}
	initBin, err := os.ReadFile(initPath)
	if err != nil {
		return -1, fmt.Errorf("read init: %w", err)
	}
	f, err := os.CreateTemp("", "minictr-initramfs-*.cpio")
	if err != nil {
		return -1, fmt.Errorf("create initramfs: %w", err)
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	err = initramfs.BuildConfig(w, r.Rootfs, initBin, initramfs.Config{Args: r.Args, Env: r.Env, Dir: r.Dir, Hostname: r.Hostname})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return -1, err
	}
	if r.MemMiB == 0 {
		// The kernel keeps the archive and its unpacked copy (tmpfs) in RAM at the same time.
		r.MemMiB = 256
		if st, err := os.Stat(f.Name()); err == nil {
			r.MemMiB = max(r.MemMiB, int(st.Size()>>20)*5/2+128)
		}
	}
	if r.Log != nil {
		fmt.Fprintf(r.Log, "minictr: guest kernel %s on %s (%s)\n", kernel, vmmName, why)
	}
	if vmmName == "qemu" {
		if linuxData, err := os.ReadFile(kernel); err == nil && linux.IsBzImage(linuxData) {
			vml := f.Name() + ".vmlinux" // qemu boots the ELF through its PVH note
			if err := linux.ExtractVmlinux(kernel, vml); err != nil {
				return -1, err
			}
			defer os.Remove(vml)
			kernel = vml
		}
		return initramfs.RunQEMU(ctx, initramfs.QEMUConfig{Kernel: kernel, Initrd: f.Name(), MemMiB: r.MemMiB, Console: r.Console, Timeout: r.Timeout})
	}
	code, _, err := RunInitramfs(ctx, LinuxConfig{
		Config: Config{MemSize: uint64(r.MemMiB) << 20, Console: r.Console, Timeout: r.Timeout},
		Kernel: kernel, Initrd: f.Name(),
	})
	return code, err
}
