package initramfs

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minictr/minictr/vmm/linux"
)

// readNewc is an independent reader for the tests: it parses every entry of a newc archive.
type entry struct {
	h    Header
	data []byte
}

func readNewc(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	off := 0
	field := func(i int) uint32 {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("entry at %d: field %d: %v", off, i, err)
		}
		return uint32(v)
	}
	for {
		if off+newcHeader > len(b) || string(b[off:off+6]) != newcMagic {
			t.Fatalf("no newc header at offset %d", off)
		}
		mode, size, rmaj, rmin, nsize := field(1), field(6), field(9), field(10), field(11)
		name := string(b[off+newcHeader : off+newcHeader+int(nsize)-1])
		if b[off+newcHeader+int(nsize)-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		d := (off + newcHeader + int(nsize) + 3) &^ 3
		if d%4 != 0 {
			t.Fatalf("%s: data not 4-aligned", name)
		}
		data := b[d : d+int(size)]
		off = (d + int(size) + 3) &^ 3
		if name == trailerName {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, entry{Header{Name: name, Mode: mode, RdevMajor: rmaj, RdevMinor: rmin}, data})
	}
}

func TestNewcHeaderBytes(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.WriteEntry(Header{Name: "a", Mode: ModeRegular | 0o644, UID: 1, GID: 2, Mtime: 3}, []byte("xyz")); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	// magic, ino 1, mode 0100644, uid 1, gid 2, nlink 1, mtime 3, size 3, dev 0/0, rdev 0/0, namesize 2, check 0
	want := "070701" + "00000001" + "000081a4" + "00000001" + "00000002" + "00000001" + "00000003" + "00000003" +
		"00000000" + "00000000" + "00000000" + "00000000" + "00000002" + "00000000" + "a\x00" + "xyz\x00"
	if got != want {
		t.Fatalf("entry bytes:\n%s\nwant:\n%s", hex.Dump([]byte(got)), hex.Dump([]byte(want)))
	}
}

func TestBuildFromTree(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	os.WriteFile(filepath.Join(root, "bin", "tool"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("tool", filepath.Join(root, "bin", "link"))
	os.WriteFile(filepath.Join(root, "init"), []byte("theirs"), 0o755) // replaced by ours
	var b bytes.Buffer
	initBin := []byte("\x7fELF fake init")
	if err := Build(&b, root, initBin, []string{"/bin/tool", "arg"}, []string{"A=1"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]entry{}
	for _, e := range readNewc(t, b.Bytes()) {
		if _, dup := got[e.h.Name]; dup {
			t.Errorf("%s archived twice", e.h.Name)
		}
		got[e.h.Name] = e
	}
	check := func(name string, mode uint32, data string) {
		e, ok := got[name]
		if !ok {
			t.Errorf("%s missing", name)
			return
		}
		if e.h.Mode != mode || data != "" && string(e.data) != data {
			t.Errorf("%s: mode %o data %q; want %o %q", name, e.h.Mode, e.data, mode, data)
		}
	}
	check("bin", ModeDir|0o755, "")
	check("bin/tool", ModeRegular|0o755, "#!/bin/sh\n")
	check("bin/link", ModeSymlink|0o777, "tool")
	check("init", ModeRegular|0o755, string(initBin))
	check("dev/console", ModeChar|0o600, "")
	check(ConfigPath, ModeRegular|0o644, `{"args":["/bin/tool","arg"],"env":["A=1"]}`)
	if c := got["dev/console"]; c.h.RdevMajor != 5 || c.h.RdevMinor != 1 {
		t.Errorf("dev/console is %d:%d, want 5:1", c.h.RdevMajor, c.h.RdevMinor)
	}
	if err := Build(&b, "", []byte("not elf"), []string{"x"}, nil); err == nil {
		t.Error("a non-ELF init was accepted")
	}
}

func TestParseExitStatus(t *testing.T) {
	for in, want := range map[string]int{
		"boot\nMINICTR_EXIT_STATUS=0\n":         0,
		"x\r\nMINICTR_EXIT_STATUS=42\r\nreboot": 42,
	} {
		if got, err := ParseExitStatus([]byte(in)); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MINICTR_EXIT_STATUS=", "echo MINICTR_EXIT_STATUS=3 done", "MINICTR_EXIT_STATUS=300\n"} {
		if _, err := ParseExitStatus([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func moduleRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestQEMUExitCode boots Debian's kernel under qemu's microvm machine with an initramfs of
// busybox and our init, runs a shell command and gets its exit status back.
func TestQEMUExitCode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no kernel download, no qemu boot")
	}
	if _, err := exec.LookPath(QEMUBinary); err != nil {
		t.Skipf("%s not installed (Debian package qemu-system-x86)", QEMUBinary)
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (Debian package busybox-static)")
	}
	kf, err := linux.DebianKernel(t.Context(), os.Getenv("MINICTR_KERNEL_CACHE"))
	if err != nil {
		t.Skipf("cannot get Debian's kernel: %v", err)
	}
	dir := t.TempDir()
	initPath := filepath.Join(dir, InitBinaryName)
	if err := BuildInit(t.Context(), moduleRoot(t), initPath); err != nil {
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
	initBin, err := os.ReadFile(initPath)
	if err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	if err := Build(&img, root, initBin, []string{"/bin/sh", "-c", "echo hello from $WHO; exit 7"}, []string{"WHO=the guest"}); err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := os.WriteFile(initrd, img.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	accel, why := DetectAccel()
	t.Log(why)
	var console bytes.Buffer
	start := time.Now()
	code, err := RunQEMU(context.Background(), QEMUConfig{Kernel: kf.Vmlinux, Initrd: initrd, Accel: accel, Console: &console, Timeout: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if code != 7 || !strings.Contains(console.String(), "hello from the guest") {
		t.Fatalf("exit status %d (want 7); console:\n%s", code, console.String())
	}
	t.Log(fmt.Sprintf("qemu (%s) boot + command + power-off: %s", accel, time.Since(start).Round(time.Millisecond)))
}

func TestConsoleFilter(t *testing.T) {
	var out bytes.Buffer
	f := &ConsoleFilter{W: &out}
	for _, c := range []string{"hel", "lo\r\nMINICTR_EXIT", "_STATUS=3\r\n", "tail"} {
		f.Write([]byte(c))
	}
	f.Flush()
	if out.String() != "hello\ntail" {
		t.Fatalf("filtered console = %q", out.String())
	}
}

// Whatever the names and contents, the archive reads back as written.
func FuzzNewcRoundTrip(f *testing.F) {
	f.Add("bin/sh", []byte("data"), uint32(0o100755))
	f.Add("a", []byte{}, uint32(0o040755))
	f.Fuzz(func(t *testing.T, name string, data []byte, mode uint32) {
		var b bytes.Buffer
		w := NewWriter(&b)
		if err := w.WriteEntry(Header{Name: name, Mode: mode}, data); err != nil {
			return // rejected names
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := readNewc(t, b.Bytes())
		if len(got) != 1 || got[0].h.Name != name || got[0].h.Mode != mode || !bytes.Equal(got[0].data, data) {
			t.Fatalf("read back %+v", got)
		}
	})
}
