package guest

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The protected-mode hello guest, byte for byte as its documented assembly encodes.
func TestHelloProtectedEncoding(t *testing.T) {
	code, err := helloCode(Protected, MessageAddr, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0xba, 0xf8, 0x03, 0x00, 0x00, // mov edx, 0x3f8
		0xbe, 0x00, 0x90, 0x00, 0x00, // mov esi, 0x9000
		0xac,       // next: lodsb
		0x84, 0xc0, // test al, al
		0x74, 0x03, // jz done (+3: over out and jmp)
		0xee,       // out dx, al
		0xeb, 0xf8, // jmp next (-8)
		0xb8, 0x54, 0x4f, 0x52, 0x50, // done: mov eax, "PROT"
		0xf4, // hlt
	}
	if !bytes.Equal(code, want) {
		t.Fatalf("code\n% x\nwant\n% x", code, want)
	}
}

func TestJumpOutOfRangePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a 200-byte rel8 jump assembled")
		}
	}()
	c := newCode()
	c.emit(0xeb).rel8("far")
	c.emit(make([]byte, 200)...)
	c.label("far")
	c.bytes()
}

func TestGDTDescriptors(t *testing.T) {
	// access byte (bits 40-47) and flags (bits 52-55) of each descriptor
	for i, want := range []struct{ access, flags byte }{{0, 0}, {0x9b, 0xa}, {0x93, 0xc}, {0x9b, 0xc}, {0xf3, 0xc}, {0xfb, 0xa}} {
		if a, f := byte(gdt[i]>>40), byte(gdt[i]>>52)&0xf; a != want.access || f != want.flags {
			t.Errorf("gdt[%d] access %#x flags %#x, want %#x %#x", i, a, f, want.access, want.flags)
		}
	}
	if selUserCode>>3 != 5 || selUserData>>3 != 4 || selUserCode&3 != 3 {
		t.Error("user selectors do not index the DPL-3 descriptors with RPL 3")
	}
}

func TestPageTablesIdentityMapUserAccessible(t *testing.T) {
	ch := pageTables()
	pd := ch[2].Data
	for _, i := range []int{0, 1, 511} {
		e := binary.LittleEndian.Uint64(pd[i*8:])
		if e != uint64(i)<<21|0x87 {
			t.Errorf("PD[%d] = %#x", i, e)
		}
	}
}

// The host executable runs the very bytes of the guest's ring-3 loop.
func TestHostLoopELFRuns(t *testing.T) {
	loop := WorkloadLoopBytes(1000)
	g := UserGuest(UserOptions{Iterations: 1000, Message: "x"})
	var user []byte
	for _, c := range g.Chunks {
		if c.Addr == UserCodeAddr {
			user = c.Data
		}
	}
	if !bytes.HasPrefix(user, loop) {
		t.Fatal("the user guest's code does not start with the workload loop")
	}
	img := HostLoopELF(1000)
	if !bytes.Contains(img, loop) {
		t.Fatal("the host ELF does not contain the workload loop")
	}
	p := filepath.Join(t.TempDir(), "loop")
	if err := os.WriteFile(p, img, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(p).CombinedOutput(); err != nil {
		t.Fatalf("run %s: %v %s", p, err, out)
	}
}

func TestHelloPVHNote(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(HelloPVH("hi\n")))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		n := make([]byte, p.Filesz)
		p.ReadAt(n, 0)
		if binary.LittleEndian.Uint32(n[8:]) == 18 && string(n[12:15]) == "Xen" && binary.LittleEndian.Uint64(n[16:]) == pvhCodeAddr {
			found = true
		}
	}
	if !found || f.Entry != pvhCodeAddr {
		t.Fatalf("PVH note found %v, entry %#x", found, f.Entry)
	}
}

func TestLCG(t *testing.T) {
	// Two steps by hand: x1 = seed*mul + inc, x2 = x1*mul + inc (mod 2^64).
	seed, mul, inc := uint64(lcgSeed), uint64(lcgMul), uint64(lcgInc)
	x1 := seed*mul + inc
	if LCG(2) != x1*mul+inc || LCG(0) != seed {
		t.Fatal("LCG does not follow its definition")
	}
}
