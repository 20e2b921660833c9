package linux

import (
	"bytes"
	"debug/elf"
	"fmt"
)

// Segment is one loadable part of a kernel: bytes to copy to a guest physical address, and
// the size in memory (the rest, up to MemSize, is zeroed: .bss).
type Segment struct {
	Addr    uint64
	Data    []byte
	MemSize uint64
}

// Kernel is a kernel ready to load: its segments and its 64-bit entry point (physical).
type Kernel struct {
	Segments []Segment
	Entry    uint64
	// Header is the bzImage's setup header, copied into boot_params (nil for a bare vmlinux).
	Header []byte
	// Compression of the bzImage payload ("none" for a vmlinux).
	Compression Compression
}

// End is the first physical address above the kernel's loaded image.
func (k *Kernel) End() uint64 {
	var end uint64
	for _, s := range k.Segments {
		end = max(end, s.Addr+s.MemSize)
	}
	return end
}

// ParseKernel accepts a bzImage (its payload is decompressed on the host) or a vmlinux ELF.
func ParseKernel(data []byte) (*Kernel, error) {
	if IsBzImage(data) {
		bz, err := ParseBzImage(data)
		if err != nil {
			return nil, err
		}
		if bz.Header.Xloadflags&xlfKernel64 == 0 {
			return nil, fmt.Errorf("bzImage: xloadflags 0x%x lack XLF_KERNEL_64: not a 64-bit kernel", bz.Header.Xloadflags)
		}
		elfData, err := Decompress(bz.Payload)
		if err != nil {
			return nil, fmt.Errorf("bzImage: %w", err)
		}
		k, err := ParseELF(elfData)
		if err != nil {
			return nil, fmt.Errorf("bzImage payload: %w", err)
		}
		k.Header = bz.HeaderBytes
		k.Compression = DetectCompression(bz.Payload)
		return k, nil
	}
	return ParseELF(data)
}

// ParseELF reads a vmlinux: an x86-64 ELF executable whose PT_LOAD segments carry physical
// addresses (p_paddr) and whose entry point is the physical address of startup_64.
func ParseELF(data []byte) (k *Kernel, err error) {
	defer func() {
		if r := recover(); r != nil { // debug/elf on hostile input: an error, never a crash
			k, err = nil, fmt.Errorf("vmlinux: malformed ELF: %v", r)
		}
	}()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("vmlinux: %w", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("vmlinux: %s %s: want a 64-bit x86-64 ELF", f.Class, f.Machine)
	}
	k = &Kernel{Entry: f.Entry, Compression: None}
	for i, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if p.Filesz > p.Memsz || p.Off > uint64(len(data)) || p.Filesz > uint64(len(data))-p.Off {
			return nil, fmt.Errorf("vmlinux: program header %d: file range 0x%x+0x%x (memsz 0x%x) outside the file (%d bytes)", i, p.Off, p.Filesz, p.Memsz, len(data))
		}
		if p.Paddr > 1<<40 || p.Memsz > 1<<32 {
			return nil, fmt.Errorf("vmlinux: program header %d: physical address 0x%x size 0x%x out of range", i, p.Paddr, p.Memsz)
		}
		k.Segments = append(k.Segments, Segment{Addr: p.Paddr, Data: data[p.Off : p.Off+p.Filesz], MemSize: p.Memsz})
	}
	if len(k.Segments) == 0 {
		return nil, fmt.Errorf("vmlinux: no loadable segment")
	}
	// The entry may be virtual in some builds (0xffffffff8...); map it to physical through the
	// segment that contains it.
	if k.Entry >= 1<<47 {
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && k.Entry >= p.Vaddr && k.Entry < p.Vaddr+p.Memsz {
				k.Entry = k.Entry - p.Vaddr + p.Paddr
				break
			}
		}
	}
	return k, nil
}
