package linux

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// The offsets of struct setup_header fields in boot_params, from the boot protocol
// (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header").
var headerOffsets = []struct {
	field  string
	offset int
	size   int
}{
	{"SetupSects", 0x1f1, 1}, {"RootFlags", 0x1f2, 2}, {"Syssize", 0x1f4, 4}, {"RAMSize", 0x1f8, 2},
	{"VidMode", 0x1fa, 2}, {"RootDev", 0x1fc, 2}, {"BootFlag", 0x1fe, 2}, {"Jump", 0x200, 2},
	{"Header", 0x202, 4}, {"Version", 0x206, 2}, {"RealmodeSwtch", 0x208, 4}, {"StartSysSeg", 0x20c, 2},
	{"KernelVersion", 0x20e, 2}, {"TypeOfLoader", 0x210, 1}, {"Loadflags", 0x211, 1},
	{"SetupMoveSize", 0x212, 2}, {"Code32Start", 0x214, 4}, {"RamdiskImage", 0x218, 4},
	{"RamdiskSize", 0x21c, 4}, {"BootsectKludge", 0x220, 4}, {"HeapEndPtr", 0x224, 2},
	{"ExtLoaderVer", 0x226, 1}, {"ExtLoaderType", 0x227, 1}, {"CmdLinePtr", 0x228, 4},
	{"InitrdAddrMax", 0x22c, 4}, {"KernelAlignment", 0x230, 4}, {"RelocatableKernel", 0x234, 1},
	{"MinAlignment", 0x235, 1}, {"Xloadflags", 0x236, 2}, {"CmdlineSize", 0x238, 4},
	{"HardwareSubarch", 0x23c, 4}, {"HardwareSubarchData", 0x240, 8}, {"PayloadOffset", 0x248, 4},
	{"PayloadLength", 0x24c, 4}, {"SetupData", 0x250, 8}, {"PrefAddress", 0x258, 8},
	{"InitSize", 0x260, 4}, {"HandoverOffset", 0x264, 4}, {"KernelInfoOffset", 0x268, 4},
}

// Every field lands at its documented offset: set each to an all-ones value alone and look
// at which bytes of the zero page change.
func TestSetupHeaderLayout(t *testing.T) {
	if n := binary.Size(SetupHeader{}); n != 0x26c-0x1f1 {
		t.Fatalf("setup header is %d bytes, want %d", n, 0x26c-0x1f1)
	}
	for _, f := range headerOffsets {
		var h SetupHeader
		v := reflect.ValueOf(&h).Elem().FieldByName(f.field)
		if !v.IsValid() {
			t.Fatalf("no field %s", f.field)
		}
		v.SetUint(^uint64(0))
		var z ZeroPage
		z.SetHeader(&h)
		for i, b := range z {
			in := i >= f.offset && i < f.offset+f.size
			if in && b != 0xff || !in && b != 0 {
				t.Errorf("%s: byte 0x%x = %#x (field should cover 0x%x+%d)", f.field, i, b, f.offset, f.size)
				break
			}
		}
	}
}

func TestZeroPageFields(t *testing.T) {
	var z ZeroPage
	z.SetHeader(&SetupHeader{BootFlag: BootFlagMagic, Header: HeaderMagic})
	z.SetRamdisk(0x1_2345_6000, 0x1_0000_0010)
	z.SetCmdline(0x20000, 42)
	if err := z.SetE820([]E820Entry{{0, 0x9fc00, E820RAM}, {0x100000, 0x7f00000, E820RAM}}); err != nil {
		t.Fatal(err)
	}
	le32 := func(o int) uint32 { return binary.LittleEndian.Uint32(z[o:]) }
	le64 := func(o int) uint64 { return binary.LittleEndian.Uint64(z[o:]) }
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"boot_flag", uint64(binary.LittleEndian.Uint16(z[0x1fe:])), 0xaa55},
		{"header", uint64(le32(0x202)), 0x53726448},
		{"ramdisk_image", uint64(le32(0x218)), 0x23456000},
		{"ext_ramdisk_image", uint64(le32(0x0c0)), 1},
		{"ramdisk_size", uint64(le32(0x21c)), 0x10},
		{"ext_ramdisk_size", uint64(le32(0x0c4)), 1},
		{"cmd_line_ptr", uint64(le32(0x228)), 0x20000},
		{"cmdline_size", uint64(le32(0x238)), 42},
		{"e820_entries", uint64(z[0x1e8]), 2},
		{"e820_table[1].addr", le64(0x2d0 + 20), 0x100000},
		{"e820_table[1].size", le64(0x2d0 + 28), 0x7f00000},
		{"e820_table[1].type", uint64(le32(0x2d0 + 36)), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if err := z.SetE820(make([]E820Entry, 129)); err == nil {
		t.Error("e820 map of 129 entries accepted")
	}
}

// tinyELF is a minimal x86-64 executable: one PT_LOAD of code at physical 0x1000000.
func tinyELF(code []byte) []byte {
	const ehsize, phsize = 64, 56
	b := make([]byte, ehsize+phsize)
	copy(b, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)    // ET_EXEC
	le.PutUint16(b[18:], 0x3e) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], 0x1000000) // entry
	le.PutUint64(b[32:], ehsize)    // phoff
	le.PutUint16(b[52:], ehsize)
	le.PutUint16(b[54:], phsize)
	le.PutUint16(b[56:], 1)
	p := b[ehsize:]
	le.PutUint32(p[0:], 1) // PT_LOAD
	le.PutUint32(p[4:], 5) // R+X
	le.PutUint64(p[8:], ehsize+phsize)
	le.PutUint64(p[16:], 0xffffffff81000000)
	le.PutUint64(p[24:], 0x1000000)
	le.PutUint64(p[32:], uint64(len(code)))
	le.PutUint64(p[40:], uint64(len(code))+0x1000) // .bss
	le.PutUint64(p[48:], 0x200000)
	return append(b, code...)
}

// fakeBzImage wraps a payload in a bzImage with one setup sector.
func fakeBzImage(payload []byte) []byte {
	b := make([]byte, 2*512)
	h := SetupHeader{SetupSects: 1, BootFlag: BootFlagMagic, Header: HeaderMagic, Version: 0x020f,
		Xloadflags: xlfKernel64, PayloadOffset: 0, PayloadLength: uint32(len(payload)),
		InitrdAddrMax: 0x7fffffff, CmdlineSize: 2047, KernelAlignment: 0x200000}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, &h)
	copy(b[OffSetupHeader:], buf.Bytes())
	b[0x201] = 0x6a // jump offset: header ends at 0x26c
	return append(b, payload...)
}

func compressors(t *testing.T) map[Compression]func([]byte) []byte {
	m := map[Compression]func([]byte) []byte{
		Gzip: func(p []byte) []byte {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(p)
			w.Close()
			return b.Bytes()
		},
		Zstd: func(p []byte) []byte {
			w, _ := zstd.NewWriter(nil)
			defer w.Close()
			return w.EncodeAll(p, nil)
		},
	}
	// xz as the kernel's build runs it (scripts/xz_wrap.sh), when the xz tool is installed.
	if _, err := exec.LookPath("xz"); err == nil {
		m[XZ] = func(p []byte) []byte {
			cmd := exec.Command("xz", "--format=xz", "-T1", "--check=crc32", "--x86", "--lzma2=dict=1MiB", "-c")
			cmd.Stdin = bytes.NewReader(p)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("xz: %v", err)
			}
			return out
		}
	}
	return m
}

// x86ish is data with many E8/E9 bytes (calls and jumps) for the BCJ filter to transform.
func x86ish() []byte {
	var b []byte
	for i := 0; i < 20000; i++ {
		b = append(b, 0x55, 0x48, 0x89, 0xe5, 0xe8)
		b = binary.LittleEndian.AppendUint32(b, uint32(-i*7))
		b = append(b, byte(i), 0xe9, 0xff, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3)
	}
	return b
}

func TestParseBzImageAllCompressions(t *testing.T) {
	code := append([]byte{0xf4}, x86ish()...)
	elfImg := tinyELF(code)
	for method, compress := range compressors(t) {
		t.Run(string(method), func(t *testing.T) {
			payload := append(compress(elfImg), 1, 2, 3, 4) // the build appends the size
			if got := DetectCompression(payload); got != method {
				t.Fatalf("detected %q, want %q", got, method)
			}
			k, err := ParseKernel(fakeBzImage(payload))
			if err != nil {
				t.Fatal(err)
			}
			if k.Entry != 0x1000000 || len(k.Segments) != 1 || !bytes.Equal(k.Segments[0].Data, code) || k.Segments[0].MemSize != uint64(len(code))+0x1000 {
				t.Fatalf("kernel = entry %#x, %d segments", k.Entry, len(k.Segments))
			}
			if k.Compression != method || len(k.Header) != 0x26c-0x1f1 {
				t.Fatalf("compression %q, header %d bytes", k.Compression, len(k.Header))
			}
		})
	}
	if _, ok := compressors(t)[XZ]; !ok {
		t.Log("xz tool not installed: the xz/BCJ path was not exercised")
	}
}

func TestPrepare(t *testing.T) {
	k, err := ParseELF(tinyELF([]byte{0xf4}))
	if err != nil {
		t.Fatal(err)
	}
	mem := make([]byte, 64<<20)
	initrd := bytes.Repeat([]byte{0xab}, 10000)
	regs, e, err := Prepare(mem, k, BootConfig{Cmdline: "console=ttyS0", Initrd: initrd})
	if err != nil {
		t.Fatal(err)
	}
	if regs.RIP != 0x1000000 || regs.RSI != ZeroPageAddr {
		t.Errorf("RIP %#x RSI %#x", regs.RIP, regs.RSI)
	}
	if e.CS.Selector != 0x10 || e.DS.Selector != 0x18 || e.CS.L != 1 || e.EFER&(1<<10) == 0 || e.CR3 != PML4Addr {
		t.Errorf("entry state %+v", e)
	}
	var z ZeroPage
	copy(z[:], mem[ZeroPageAddr:])
	h := z.Header()
	if h.TypeOfLoader != 0xff || h.CmdLinePtr != CmdlineAddr || h.CmdlineSize != 13 {
		t.Errorf("header: loader %#x cmdline %#x+%d", h.TypeOfLoader, h.CmdLinePtr, h.CmdlineSize)
	}
	if got := string(mem[CmdlineAddr : CmdlineAddr+14]); got != "console=ttyS0\x00" {
		t.Errorf("command line in memory = %q", got)
	}
	if h.RamdiskImage%4096 != 0 || uint64(h.RamdiskImage)+uint64(h.RamdiskSize) > uint64(len(mem)) || !bytes.Equal(mem[h.RamdiskImage:h.RamdiskImage+h.RamdiskSize], initrd) {
		t.Errorf("initramfs at %#x+%d not in place", h.RamdiskImage, h.RamdiskSize)
	}
	if mem[0x1000000] != 0xf4 {
		t.Error("kernel not loaded at 16 MiB")
	}
	// The page tables map 3 GiB + 2 MiB to itself.
	pd := binary.LittleEndian.Uint64(mem[PDAddr+3*4096+8:])
	if pd != (3<<30|1<<21)|0x83 {
		t.Errorf("PD[3][1] = %#x", pd)
	}
	if _, _, err := Prepare(mem, k, BootConfig{Initrd: make([]byte, 63<<20)}); err == nil {
		t.Error("an initramfs overlapping the kernel was accepted")
	}
}

func TestHostileKernels(t *testing.T) {
	good := tinyELF([]byte{0xf4})
	bad := map[string][]byte{
		"empty":         nil,
		"short bzImage": fakeBzImage(nil)[:0x300],
		"payload beyond": func() []byte {
			b := fakeBzImage([]byte{1, 2, 3})
			binary.LittleEndian.PutUint32(b[0x24c:], 1<<30)
			return b
		}(),
		"unknown method": fakeBzImage([]byte("not compressed at all")),
		"truncated ELF":  good[:100],
		"segment beyond": func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint64(b[64+32:], 1<<20)
			return b
		}(),
	}
	for name, data := range bad {
		if _, err := ParseKernel(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseKernel(f *testing.F) {
	f.Add(tinyELF([]byte{0xf4}))
	f.Add(fakeBzImage([]byte{0x1f, 0x8b, 8, 0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseKernel(data)
	})
}

// TestDebianKernel fetches (or finds cached) Debian's kernel and checks that it parses as a
// 64-bit bzImage with an xz payload.
func TestDebianKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no kernel download")
	}
	kf, err := DebianKernel(t.Context(), os.Getenv("MINICTR_KERNEL_CACHE"))
	if err != nil {
		t.Skipf("cannot get Debian's kernel: %v", err)
	}
	data, err := os.ReadFile(kf.Vmlinuz)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := ParseBzImage(data)
	if err != nil {
		t.Fatal(err)
	}
	if bz.Header.Xloadflags&xlfKernel64 == 0 {
		t.Errorf("%s: not a 64-bit kernel", kf.Vmlinuz)
	}
	k, err := ParseELF(mustRead(t, kf.Vmlinux))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s payload, entry %#x, loaded up to %#x", filepath.Base(kf.Dir), DetectCompression(bz.Payload), k.Entry, k.End())
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMPTable(t *testing.T) {
	b := MPTable(MPTableAddr)
	sum := func(p []byte) (s byte) {
		for _, c := range p {
			s += c
		}
		return s
	}
	if string(b[:4]) != "_MP_" || sum(b[:16]) != 0 || b[8] != 1 || b[9] != 4 {
		t.Fatalf("floating pointer % x", b[:16])
	}
	if binary.LittleEndian.Uint32(b[4:]) != MPTableAddr+16 {
		t.Fatalf("table pointer %#x", binary.LittleEndian.Uint32(b[4:]))
	}
	tbl := b[16:]
	n := int(binary.LittleEndian.Uint16(tbl[4:]))
	if string(tbl[:4]) != "PCMP" || n != len(tbl) || sum(tbl[:n]) != 0 {
		t.Fatalf("table header % x (length %d of %d)", tbl[:44], n, len(tbl))
	}
	// entries: 1 processor (20 bytes) + bus + IOAPIC + 16 interrupts + 2 local = 21 entries
	if c := binary.LittleEndian.Uint16(tbl[34:]); c != 21 || n != 44+20+20*8 {
		t.Fatalf("%d entries, %d bytes", c, n)
	}
	if MPTableAddr+uint32(len(b)) > HighMemStart {
		t.Fatal("MP table runs past the reserved EBDA area")
	}
}
