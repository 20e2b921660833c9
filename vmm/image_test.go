package vmm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minictr/minictr/vmm/initramfs"
	"github.com/minictr/minictr/vmm/linux"
)

// TestRunImageQEMU runs a command of a busybox "image" under Debian's kernel with qemu and
// gets its exit status: the path of `minictr run --isolation vm --vmm qemu`.
func TestRunImageQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no kernel download, no qemu boot")
	}
	if _, err := exec.LookPath(initramfs.QEMUBinary); err != nil {
		t.Skipf("%s not installed (Debian package qemu-system-x86)", initramfs.QEMUBinary)
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (Debian package busybox-static)")
	}
	if _, err := linux.DebianKernel(t.Context(), os.Getenv("MINICTR_KERNEL_CACHE")); err != nil {
		t.Skipf("cannot get Debian's kernel: %v", err)
	}
	dir := t.TempDir()
	_, file, _, _ := runtime.Caller(0)
	initPath := filepath.Join(dir, initramfs.InitBinaryName)
	if err := initramfs.BuildInit(t.Context(), filepath.Join(filepath.Dir(file), ".."), initPath); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "rootfs")
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	bb, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "bin", "busybox"), bb, 0o755)
	os.Symlink("busybox", filepath.Join(root, "bin", "sh"))
	os.WriteFile(filepath.Join(root, "data"), []byte("from the image\n"), 0o644)
	var console, log bytes.Buffer
	code, err := RunImage(t.Context(), ImageRun{
		Rootfs: root, Args: []string{"/bin/sh", "-c", "read l < /data; echo $l in $(/bin/busybox hostname); exit 42"},
		Hostname: "guest1", VMM: "qemu", Init: initPath, Console: &console, Log: &log, Timeout: 90 * time.Second,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, console.String())
	}
	if code != 42 || !strings.Contains(console.String(), "from the image in guest1") {
		t.Fatalf("exit %d (want 42); console:\n%s", code, console.String())
	}
	t.Log(strings.TrimSpace(log.String()))
}
