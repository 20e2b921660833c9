package initramfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StatusPrefix starts the line on which the init reports the command's exit status.
const StatusPrefix = "MINICTR_EXIT_STATUS="

// statusLine is compiled on first use: at start-up every minictr process would pay for it.
var statusLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + StatusPrefix + `(\d+)\r?$`)
})

// ParseExitStatus finds the init's status line in console output.
func ParseExitStatus(console []byte) (int, error) {
	m := statusLine().FindSubmatch(console)
	if m == nil {
		return 0, errors.New("no " + StatusPrefix + " line on the console")
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil || n > 255 {
		return 0, fmt.Errorf("bad exit status line %q", m[0])
	}
	return n, nil
}

// Accel is how qemu runs the guest.
type Accel string

// Accelerators: KVM (full speed on hardware virtualization) or TCG (qemu's emulator).
const (
	AccelAuto Accel = ""
	AccelKVM  Accel = "kvm"
	AccelTCG  Accel = "tcg"
)

// DetectAccel picks KVM when /dev/kvm is usable and runs guest kernels at full speed, TCG
// otherwise. A nested paravirtual KVM (the kvm_pvm module) emulates guest kernel mode about
// 1000x slower than TCG runs it, so it counts as "no KVM" for booting Linux. The reason is
// returned for the caller to print.
func DetectAccel() (Accel, string) {
	if _, err := os.Stat("/sys/module/kvm_pvm"); err == nil {
		return AccelTCG, "KVM here is kvm_pvm (nested, guest kernel mode emulated): using TCG"
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return AccelTCG, fmt.Sprintf("no usable /dev/kvm (%v): using TCG", err)
	}
	f.Close()
	return AccelKVM, "using KVM"
}

// QEMUConfig is one boot under qemu's microvm machine.
type QEMUConfig struct {
	Binary  string        // default qemu-system-x86_64
	Kernel  string        // an uncompressed vmlinux (booted through its PVH entry note)
	Initrd  string        // the initramfs
	Cmdline string        // extra kernel arguments (console=ttyS0 and friends are added)
	MemMiB  int           // default 256
	Accel   Accel         // default DetectAccel()
	Console io.Writer     // the guest's console, through a ConsoleFilter (nil: discarded)
	Timeout time.Duration // default 2 minutes
}

// QEMUBinary is the qemu system emulator for x86-64 guests (Debian: qemu-system-x86).
const QEMUBinary = "qemu-system-x86_64"

// RunQEMU boots kernel+initrd under qemu -M microvm and returns the command's exit status
// from the init's status line.
func RunQEMU(ctx context.Context, c QEMUConfig) (exitCode int, err error) {
	args, err := QEMUArgs(&c)
	if err != nil {
		return -1, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Binary, args...)
	var out syncBuffer
	var w io.Writer = &out
	if c.Console != nil {
		f := &ConsoleFilter{W: c.Console}
		defer f.Flush()
		w = io.MultiWriter(&out, f)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.Stdin = nil
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return -1, fmt.Errorf("qemu: no exit within %s: %w; console ends with:\n%s", c.Timeout, ctx.Err(), tail(out.Bytes(), 2000))
	}
	code, perr := ParseExitStatus(out.Bytes())
	if perr != nil {
		return -1, fmt.Errorf("qemu %s: %v (qemu: %v); console ends with:\n%s", strings.Join(args, " "), perr, runErr, tail(out.Bytes(), 2000))
	}
	return code, nil
}

// QEMUArgs fills the defaults of c and returns qemu's command line:
//
//	-M microvm           a minimal machine: no PCI, no firmware tables beyond what Linux needs
//	-kernel vmlinux      PVH entry, no bootloader, no decompressor
//	-device isa-debug-exit,iobase=0xf4   the init's fast power-off (qemu exits at once)
//	-no-reboot           a reset (panic=-1, reboot) ends qemu instead of restarting
func QEMUArgs(c *QEMUConfig) ([]string, error) {
	if c.Binary == "" {
		c.Binary = QEMUBinary
	}
	if _, err := exec.LookPath(c.Binary); err != nil {
		return nil, fmt.Errorf("qemu: %w (Debian package qemu-system-x86)", err)
	}
	if c.Kernel == "" || c.Initrd == "" {
		return nil, fmt.Errorf("qemu: kernel %q and initrd %q are both required", c.Kernel, c.Initrd)
	}
	if c.MemMiB == 0 {
		c.MemMiB = 256
	}
	if c.Accel == AccelAuto {
		c.Accel, _ = DetectAccel()
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Minute
	}
	// loglevel=1: only the kernel's alerts and panics reach the console, so that it shows the
	// command's output (add loglevel=7 to Cmdline to see the boot).
	cmdline := "console=ttyS0 panic=-1 quiet loglevel=1"
	if c.Accel == AccelTCG {
		// Under TCG, calibrating the TSC against the emulated PIT fails now and then on a
		// loaded host, and with no other clock (microvm has no HPET or PM timer) the kernel
		// hangs. The emulated TSC runs at the host's rate: tell the kernel.
		if khz := hostTSCkHz(); khz > 0 {
			cmdline += " tsc_early_khz=" + strconv.Itoa(khz)
		}
	}
	if c.Cmdline != "" {
		cmdline += " " + c.Cmdline
	}
	args := []string{
		"-M", "microvm", "-accel", string(c.Accel), "-m", strconv.Itoa(c.MemMiB),
		"-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
		"-serial", "stdio", "-monitor", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x01",
		"-kernel", c.Kernel, "-initrd", c.Initrd, "-append", cmdline,
	}
	if c.Accel == AccelKVM {
		args = append(args, "-cpu", "host")
	} else {
		args = append(args, "-cpu", "max")
	}
	return args, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// syncBuffer is a bytes.Buffer shared by qemu's stdout and stderr copiers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// hostTSCkHz reads the host CPU's clock from /proc/cpuinfo (0 if unknown).
func hostTSCkHz() int {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || mhz <= 0 {
				return 0
			}
			return int(mhz * 1000)
		}
	}
	return 0
}
