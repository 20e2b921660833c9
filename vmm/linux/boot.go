package linux

import (
	"encoding/binary"
	"fmt"

	"github.com/minictr/minictr/vmm/kvm"
)

// The guest physical memory map for Linux (see docs/vmm.md):
//
//	0x0000_0500  GDT (null, null, __BOOT_CS 0x10, __BOOT_DS 0x18)
//	0x0000_7000  boot_params (zero page)
//	0x0000_8ff0  initial stack (unused by startup_64, which sets its own)
//	0x0000_9000  PML4, 0x0000_a000 PDPT, 0x0000_b000.. 4 PDs: identity map of 4 GiB, 2 MiB pages
//	0x0002_0000  command line (up to CmdlineMax bytes)
//	0x0009_fc00  .. 0x0010_0000 reserved (EBDA, VGA, BIOS: e820 type 2); the MP table at 0x9fc00
//	0x0100_0000  kernel (the ELF's physical addresses; 16 MiB for Debian's)
//	top of RAM   initramfs, 4 KiB aligned, below initrd_addr_max
const (
	GDTAddr      = 0x500
	ZeroPageAddr = 0x7000
	StackAddr    = 0x8ff0
	PML4Addr     = 0x9000
	PDPTAddr     = 0xa000
	PDAddr       = 0xb000 // 4 pages
	CmdlineAddr  = 0x20000
	CmdlineMax   = 0x10000
	EBDAStart    = 0x9fc00
	HighMemStart = 0x100000

	bootCS = 0x10
	bootDS = 0x18
)

// BootConfig is what a Linux boot needs besides the kernel.
type BootConfig struct {
	Cmdline string
	Initrd  []byte
}

// Load places the kernel, initramfs, command line, boot_params and page tables in guest memory
// and sets the vCPU for the 64-bit entry. It is the whole boot protocol; mem is guest RAM from
// physical address 0.
func Load(mem []byte, cpu *kvm.VCPU, k *Kernel, cfg BootConfig) error {
	regs, sregs, err := Prepare(mem, k, cfg)
	if err != nil {
		return err
	}
	cur, err := cpu.GetSregs()
	if err != nil {
		return err
	}
	applySregs(&cur, sregs)
	if err := cpu.SetSregs(&cur); err != nil {
		return err
	}
	return cpu.SetRegs(regs)
}

// entryState is what Prepare decides for the registers (without a vCPU, for tests).
type entryState struct {
	CS, DS kvm.Segment
	GDT    kvm.DTable
	CR0    uint64
	CR3    uint64
	CR4    uint64
	EFER   uint64
}

func applySregs(s *kvm.Sregs, e *entryState) {
	s.CS = e.CS
	s.DS, s.ES, s.FS, s.GS, s.SS = e.DS, e.DS, e.DS, e.DS, e.DS
	s.GDT = e.GDT
	s.CR0, s.CR3, s.CR4, s.EFER = e.CR0, e.CR3, e.CR4, e.EFER
}

// Prepare writes everything into mem and returns the entry registers.
func Prepare(mem []byte, k *Kernel, cfg BootConfig) (*kvm.Regs, *entryState, error) {
	size := uint64(len(mem))
	if size < 64<<20 {
		return nil, nil, fmt.Errorf("linux boot: %d MiB of guest memory: want at least 64 MiB", size>>20)
	}
	// Kernel segments.
	for _, s := range k.Segments {
		if s.Addr < HighMemStart || s.Addr+s.MemSize > size {
			return nil, nil, fmt.Errorf("linux boot: kernel segment 0x%x+0x%x outside guest RAM 0x%x-0x%x", s.Addr, s.MemSize, HighMemStart, size)
		}
		copy(mem[s.Addr:], s.Data)
		clear(mem[s.Addr+uint64(len(s.Data)) : s.Addr+s.MemSize])
	}
	if k.Entry < HighMemStart || k.Entry >= size {
		return nil, nil, fmt.Errorf("linux boot: entry point 0x%x outside guest RAM", k.Entry)
	}

	// boot_params: the image's setup header if it has one, then our fields.
	var z ZeroPage
	if len(k.Header) > 0 {
		copy(z[OffSetupHeader:], k.Header)
	} else {
		z.SetHeader(&SetupHeader{BootFlag: BootFlagMagic, Header: HeaderMagic, Version: 0x020f, KernelAlignment: 0x1000000, InitrdAddrMax: 0x7fffffff, CmdlineSize: CmdlineMax - 1})
	}
	h := z.Header()
	h.TypeOfLoader = LoaderTypeUndefined
	h.Loadflags |= loadedHigh | canUseHeap
	h.HeapEndPtr = 0xfe00
	h.VidMode = 0xffff // "normal"
	z.SetHeader(h)

	// Command line, NUL-terminated.
	maxCmd := min(uint32(CmdlineMax-1), max(h.CmdlineSize, 255))
	if uint32(len(cfg.Cmdline)) > maxCmd {
		return nil, nil, fmt.Errorf("linux boot: command line is %d bytes: the kernel accepts %d", len(cfg.Cmdline), maxCmd)
	}
	copy(mem[CmdlineAddr:], cfg.Cmdline)
	mem[CmdlineAddr+len(cfg.Cmdline)] = 0
	z.SetCmdline(CmdlineAddr, uint32(len(cfg.Cmdline)))

	// Initramfs at the top of RAM (below initrd_addr_max), above the kernel.
	if n := uint64(len(cfg.Initrd)); n > 0 {
		top := min(size, uint64(h.InitrdAddrMax)+1)
		if h.InitrdAddrMax == 0 {
			top = min(size, 0x38000000) // the protocol's default for old headers
		}
		if n > top {
			return nil, nil, fmt.Errorf("linux boot: initramfs of %d bytes does not fit below 0x%x", n, top)
		}
		addr := (top - n) &^ 0xfff
		if addr < k.End() {
			return nil, nil, fmt.Errorf("linux boot: initramfs of %d MiB does not fit between the kernel (ends at 0x%x) and 0x%x: give the guest more memory", n>>20, k.End(), top)
		}
		copy(mem[addr:], cfg.Initrd)
		z.SetRamdisk(addr, n)
	}

	// e820: low RAM below the EBDA, the legacy hole, then RAM from 1 MiB.
	if err := z.SetE820([]E820Entry{
		{Addr: 0, Size: EBDAStart, Type: E820RAM},
		{Addr: EBDAStart, Size: HighMemStart - EBDAStart, Type: E820Reserved},
		{Addr: HighMemStart, Size: size - HighMemStart, Type: E820RAM},
	}); err != nil {
		return nil, nil, err
	}
	copy(mem[ZeroPageAddr:], z[:])
	copy(mem[MPTableAddr:], MPTable(MPTableAddr))

	// GDT: entries 2 and 3 are the boot protocol's __BOOT_CS and __BOOT_DS.
	for i, d := range []uint64{0, 0, 0x00af9b000000ffff, 0x00cf93000000ffff} {
		binary.LittleEndian.PutUint64(mem[GDTAddr+8*i:], d)
	}
	// Identity page tables for the first 4 GiB: PML4[0] -> PDPT, PDPT[i] -> PD i, PD entries
	// map 2 MiB pages (P|RW|PS = 0x83).
	clear(mem[PML4Addr : PDAddr+4*4096])
	binary.LittleEndian.PutUint64(mem[PML4Addr:], PDPTAddr|0x3)
	for i := uint64(0); i < 4; i++ {
		binary.LittleEndian.PutUint64(mem[PDPTAddr+8*i:], (PDAddr+i*4096)|0x3)
		for j := uint64(0); j < 512; j++ {
			binary.LittleEndian.PutUint64(mem[PDAddr+i*4096+8*j:], (i<<30|j<<21)|0x83)
		}
	}

	seg := func(sel uint16, typ, db, l uint8) kvm.Segment {
		return kvm.Segment{Limit: 0xffffffff, Selector: sel, Type: typ, Present: 1, DB: db, S: 1, L: l, G: 1}
	}
	e := &entryState{
		CS:   seg(bootCS, 0xb, 0, 1),
		DS:   seg(bootDS, 0x3, 1, 0),
		GDT:  kvm.DTable{Base: GDTAddr, Limit: 4*8 - 1},
		CR0:  0x80000011 | 1<<5, // PG | ET | PE | NE
		CR3:  PML4Addr,
		CR4:  1 << 5,       // PAE
		EFER: 1<<8 | 1<<10, // LME | LMA
	}
	regs := &kvm.Regs{RIP: k.Entry, RSI: ZeroPageAddr, RSP: StackAddr, RFLAGS: 2}
	return regs, e, nil
}
