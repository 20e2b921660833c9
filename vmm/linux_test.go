package vmm

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

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
