// Package linux implements the x86 Linux boot protocol for minictr's VMM: it reads a bzImage
// (setup header, compressed payload), decompresses the payload on the host (xz with the x86 BCJ
// filter as Debian builds it, gzip, zstd, bzip2, lzma), loads the resulting vmlinux ELF, and
// prepares the zero page (boot_params: setup header, e820 map, command line, initramfs) and the
// 64-bit entry state (identity page tables, flat segments, RSI = &boot_params).
//
// The guest-side decompressor of a bzImage is never run: under a VMM whose guest kernel mode
// is emulated (a nested paravirtual KVM) it would take minutes, and it is wasted work
// everywhere else. References: Documentation/arch/x86/boot.rst and
// arch/x86/include/uapi/asm/bootparam.h in the Linux tree.
package linux

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// SetupHeader is struct setup_header, found at offset 0x1f1 of a bzImage and of boot_params.
// The C struct is packed; encoding/binary reads and writes Go structs without padding, so
// this mirror has the same byte layout (boot_params_test.go checks every offset).
type SetupHeader struct {
	SetupSects          uint8  // 0x1f1
	RootFlags           uint16 // 0x1f2
	Syssize             uint32 // 0x1f4
	RAMSize             uint16 // 0x1f8
	VidMode             uint16 // 0x1fa
	RootDev             uint16 // 0x1fc
	BootFlag            uint16 // 0x1fe: 0xAA55
	Jump                uint16 // 0x200
	Header              uint32 // 0x202: "HdrS"
	Version             uint16 // 0x206: protocol version, e.g. 0x020f
	RealmodeSwtch       uint32 // 0x208
	StartSysSeg         uint16 // 0x20c
	KernelVersion       uint16 // 0x20e
	TypeOfLoader        uint8  // 0x210
	Loadflags           uint8  // 0x211
	SetupMoveSize       uint16 // 0x212
	Code32Start         uint32 // 0x214
	RamdiskImage        uint32 // 0x218
	RamdiskSize         uint32 // 0x21c
	BootsectKludge      uint32 // 0x220
	HeapEndPtr          uint16 // 0x224
	ExtLoaderVer        uint8  // 0x226
	ExtLoaderType       uint8  // 0x227
	CmdLinePtr          uint32 // 0x228
	InitrdAddrMax       uint32 // 0x22c
	KernelAlignment     uint32 // 0x230
	RelocatableKernel   uint8  // 0x234
	MinAlignment        uint8  // 0x235
	Xloadflags          uint16 // 0x236
	CmdlineSize         uint32 // 0x238
	HardwareSubarch     uint32 // 0x23c
	HardwareSubarchData uint64 // 0x240
	PayloadOffset       uint32 // 0x248
	PayloadLength       uint32 // 0x24c
	SetupData           uint64 // 0x250
	PrefAddress         uint64 // 0x258
	InitSize            uint32 // 0x260
	HandoverOffset      uint32 // 0x264
	KernelInfoOffset    uint32 // 0x268
}

// Offsets in boot_params (the "zero page", 4096 bytes).
const (
	ZeroPageSize        = 4096
	OffExtRamdiskImage  = 0x0c0
	OffExtRamdiskSize   = 0x0c4
	OffExtCmdLinePtr    = 0x0c8
	OffE820Entries      = 0x1e8
	OffSetupHeader      = 0x1f1
	OffE820Table        = 0x2d0
	E820MaxEntries      = 128
	e820EntrySize       = 20
	HeaderMagic         = 0x53726448 // "HdrS"
	BootFlagMagic       = 0xaa55
	LoaderTypeUndefined = 0xff
	loadedHigh          = 0x01 // loadflags: protected-mode code at 0x100000
	canUseHeap          = 0x80
	xlfKernel64         = 0x01 // xloadflags: has the 64-bit entry point at 0x200
)

// E820 memory types.
const (
	E820RAM      = 1
	E820Reserved = 2
)

// E820Entry is struct boot_e820_entry (packed, 20 bytes).
type E820Entry struct {
	Addr uint64
	Size uint64
	Type uint32
}

// ZeroPage is a boot_params page under construction.
type ZeroPage [ZeroPageSize]byte

// SetHeader writes h at 0x1f1.
func (z *ZeroPage) SetHeader(h *SetupHeader) {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, h) // fixed-size struct into a buffer: cannot fail
	copy(z[OffSetupHeader:], b.Bytes())
}

// Header reads the setup header at 0x1f1.
func (z *ZeroPage) Header() *SetupHeader {
	h := new(SetupHeader)
	binary.Read(bytes.NewReader(z[OffSetupHeader:]), binary.LittleEndian, h) // enough bytes: cannot fail
	return h
}

// SetE820 writes the memory map.
func (z *ZeroPage) SetE820(entries []E820Entry) error {
	if len(entries) > E820MaxEntries {
		return fmt.Errorf("e820 map: %d entries > %d", len(entries), E820MaxEntries)
	}
	z[OffE820Entries] = uint8(len(entries))
	for i, e := range entries {
		o := OffE820Table + i*e820EntrySize
		binary.LittleEndian.PutUint64(z[o:], e.Addr)
		binary.LittleEndian.PutUint64(z[o+8:], e.Size)
		binary.LittleEndian.PutUint32(z[o+16:], e.Type)
	}
	return nil
}

// SetRamdisk records the initramfs location, low and high 32-bit halves.
func (z *ZeroPage) SetRamdisk(addr, size uint64) {
	h := z.Header()
	h.RamdiskImage = uint32(addr)
	h.RamdiskSize = uint32(size)
	z.SetHeader(h)
	binary.LittleEndian.PutUint32(z[OffExtRamdiskImage:], uint32(addr>>32))
	binary.LittleEndian.PutUint32(z[OffExtRamdiskSize:], uint32(size>>32))
}

// SetCmdline records the command line's address and size.
func (z *ZeroPage) SetCmdline(addr uint64, size uint32) {
	h := z.Header()
	h.CmdLinePtr = uint32(addr)
	h.CmdlineSize = size
	z.SetHeader(h)
	binary.LittleEndian.PutUint32(z[OffExtCmdLinePtr:], uint32(addr>>32))
}
