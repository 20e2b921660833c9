package guest

import "encoding/binary"

// elfSegment is one PT_LOAD of a generated ELF.
type elfSegment struct {
	addr  uint64 // virtual = physical
	data  []byte
	flags uint32 // PF_X=1, PF_W=2, PF_R=4
}

// elf64 lays out a minimal x86-64 ELF executable: the ELF header, the program headers
// (PT_LOAD per segment, and a PT_NOTE if note is set), then each segment's bytes at a file
// offset congruent to its address modulo 4 KiB (as loaders require).
func elf64(entry uint64, segs []elfSegment, note []byte) []byte {
	const ehsize, phsize = 64, 56
	nph := len(segs)
	if note != nil {
		nph++
	}
	le := binary.LittleEndian
	b := make([]byte, ehsize+phsize*nph)
	copy(b, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1}) // 64-bit, little-endian, version 1
	le.PutUint16(b[16:], 2)                       // ET_EXEC
	le.PutUint16(b[18:], 0x3e)                    // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], ehsize) // program headers right after the ELF header
	le.PutUint16(b[52:], ehsize)
	le.PutUint16(b[54:], phsize)
	le.PutUint16(b[56:], uint16(nph))
	ph := func(i int, typ, flags uint32, off, addr, size, align uint64) {
		p := b[ehsize+phsize*i:]
		le.PutUint32(p[0:], typ)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], addr)
		le.PutUint64(p[24:], addr)
		le.PutUint64(p[32:], size)
		le.PutUint64(p[40:], size)
		le.PutUint64(p[48:], align)
	}
	i := 0
	if note != nil {
		ph(0, 4, 4, uint64(len(b)), 0, uint64(len(note)), 4) // PT_NOTE
		b = append(b, note...)
		i = 1
	}
	for _, s := range segs {
		off := uint64(len(b))
		if pad := (s.addr - off) & 0xfff; pad != 0 {
			b = append(b, make([]byte, pad)...)
			off += pad
		}
		ph(i, 1, s.flags, off, s.addr, uint64(len(s.data)), 0x1000) // PT_LOAD
		b = append(b, s.data...)
		i++
	}
	return b
}

// PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18, owner "Xen"): the 32-bit protected-mode
// entry point that qemu's -kernel loader (and Xen, Firecracker, Cloud Hypervisor) jumps to with
// flat segments and paging off.
func pvhNote(entry uint32) []byte {
	le := binary.LittleEndian
	n := make([]byte, 12, 24)
	le.PutUint32(n[0:], 4)  // namesz
	le.PutUint32(n[4:], 8)  // descsz
	le.PutUint32(n[8:], 18) // type
	n = append(n, 'X', 'e', 'n', 0)
	return le.AppendUint64(n, uint64(entry))
}

// Addresses of the PVH hello guest: RAM above 1 MiB, where qemu loads kernels.
const (
	pvhCodeAddr = 0x100000
	pvhMsgAddr  = 0x101000
)

// HelloPVH returns the protected-mode hello guest as an ELF with a PVH entry note, for
// comparing our VMM with qemu on the same guest: qemu-system-x86_64 -kernel FILE
// -device isa-debug-exit,iobase=0xf4. It prints msg, writes to the debug exit port and halts.
func HelloPVH(msg string) []byte {
	code, _ := helloCode(Protected, pvhMsgAddr, true) // protected mode cannot fail
	return elf64(pvhCodeAddr, []elfSegment{
		{addr: pvhCodeAddr, data: code, flags: 5},
		{addr: pvhMsgAddr, data: append([]byte(msg), 0), flags: 4},
	}, pvhNote(pvhCodeAddr))
}

// HostLoopELF returns a static Linux executable that runs exactly the bytes of the user
// guest's workload loop, then exit(0): the host-process side of the ring-3 comparison.
//
//	<workloadLoop>
//	xor edi, edi
//	mov eax, 60     ; SYS_exit
//	syscall
func HostLoopELF(iterations uint64) []byte {
	c := newCode()
	workloadLoop(c, iterations)
	c.emit(0x31, 0xff)     // xor edi, edi
	c.emit(0xb8).imm32(60) // mov eax, 60
	c.emit(0x0f, 0x05)     // syscall
	const addr = 0x401000
	return elf64(addr, []elfSegment{{addr: addr, data: c.bytes(), flags: 5}}, nil)
}

// WorkloadLoopBytes is the machine code of the loop itself (for tests that compare).
func WorkloadLoopBytes(iterations uint64) []byte {
	c := newCode()
	workloadLoop(c, iterations)
	return c.bytes()
}
