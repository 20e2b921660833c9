package vmm

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minictr/minictr/vmm/guest"
	"github.com/minictr/minictr/vmm/linux"
)

// TestLinuxBanner boots Debian's kernel (the bzImage: payload decompressed on the host) on our
// VMM until its "Linux version" banner reaches our serial console, then stops it. Where KVM
// emulates guest kernel mode (a nested paravirtual KVM) this is as far as a test can go in a
// few seconds; on native KVM the same code boots all the way.
func TestLinuxBanner(t *testing.T) {
	needKVM(t)
	if testing.Short() {
		t.Skip("-short: no kernel download")
	}
	kf, err := linux.DebianKernel(t.Context(), os.Getenv("MINICTR_KERNEL_CACHE"))
	if err != nil {
		t.Skipf("cannot get Debian's kernel: %v", err)
	}
	var out bytes.Buffer
	res, err := BootLinux(context.Background(), LinuxConfig{
		Config: Config{MemSize: 256 << 20, Console: &out, Timeout: 90 * time.Second, StopOnOutput: "Linux version"},
		Kernel: kf.Vmlinuz,
		// earlyprintk: the boot console prints from the first lines, long before the
		// serial driver is up.
		Cmdline: "console=ttyS0 earlyprintk=serial,ttyS0,115200",
	})
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, out.String())
	}
	if res.Reason != "output-match" || !strings.Contains(out.String(), "Linux version") {
		t.Fatalf("stopped by %s; console:\n%s", res.Reason, out.String())
	}
	t.Logf("banner after %s: %s", res.Duration.Round(time.Millisecond), strings.TrimSpace(out.String()))
}

// TestBootProtocolProbe boots our probe "kernel" through the whole Linux loader (ELF, zero
// page, command line, initramfs, page tables, 64-bit entry) and checks what it found.
func TestBootProtocolProbe(t *testing.T) {
	needKVM(t)
	dir := t.TempDir()
	kernel := filepath.Join(dir, "probe.elf")
	initrd := filepath.Join(dir, "initrd")
	os.WriteFile(kernel, guest.BootProbeELF(), 0o644)
	os.WriteFile(initrd, []byte("INITRAMFS and more"), 0o644)
	res, err := BootLinux(context.Background(), LinuxConfig{
		Config:  Config{MemSize: 128 << 20, Timeout: 30 * time.Second},
		Kernel:  kernel,
		Initrd:  initrd,
		Cmdline: "console=ttyS0 probe",
	})
	if err != nil {
		t.Fatal(err)
	}
	le := func(s string) uint64 { return binary.LittleEndian.Uint64([]byte(s)) }
	want := []uint64{0xaa55, linux.CmdlineAddr, 3, le("console="), le("INITRAMF")}
	if res.Reason != "exit-port" || res.ExitCode != guest.BootProbeExit || fmt.Sprint(res.Values) != fmt.Sprint(want) {
		t.Fatalf("stopped by %s (%d), reported %#x; want exit-port (%d), %#x", res.Reason, res.ExitCode, res.Values, guest.BootProbeExit, want)
	}
}
