package guest

// BootProbeEntry is where the boot-protocol probe is linked: the physical address at which
// Linux kernels load (LOAD_PHYSICAL_ADDR).
const BootProbeEntry = 0x1000000

// BootProbeExit is the exit status the probe writes to the debug exit port.
const BootProbeExit = 7

// BootProbeELF is a tiny "kernel" for the 64-bit boot protocol: a vmlinux-like ELF whose
// startup code reads what a Linux loader must hand over (RSI = boot_params, long mode, the
// identity map) and reports it by hypercall, then stops through the debug exit port:
//
//	movzx eax, word [rsi+0x1fe]   ; boot_params.hdr.boot_flag (0xaa55)
//	mov   rdi, rax
//	mov   edx, 0x510
//	mov   al, 3                   ; report(rdi)
//	out   dx, al
//	mov   edi, [rsi+0x228]        ; hdr.cmd_line_ptr
//	out   dx, al
//	movzx edi, byte [rsi+0x1e8]   ; e820_entries
//	out   dx, al
//	mov   edi, [rsi+0x228]
//	mov   rdi, [rdi]              ; the first 8 bytes of the command line
//	out   dx, al
//	mov   edi, [rsi+0x218]        ; hdr.ramdisk_image
//	mov   rdi, [rdi]              ; the first 8 bytes of the initramfs
//	out   dx, al
//	mov   al, 7
//	out   0xf4, al                ; debug exit, status 7
//	hlt
func BootProbeELF() []byte {
	c := newCode()
	c.emit(0x0f, 0xb7, 0x86).imm32(0x1fe) // movzx eax, word [rsi+0x1fe]
	c.emit(0x48, 0x89, 0xc7)              // mov rdi, rax
	c.emit(0xba).imm32(hypercallPort)     // mov edx, 0x510
	c.emit(0xb0, 3)                       // mov al, 3
	c.emit(0xee)                          // out dx, al
	c.emit(0x8b, 0xbe).imm32(0x228)       // mov edi, [rsi+0x228]
	c.emit(0xee)                          // out dx, al
	c.emit(0x0f, 0xb6, 0xbe).imm32(0x1e8) // movzx edi, byte [rsi+0x1e8]
	c.emit(0xee)                          // out dx, al
	c.emit(0x8b, 0xbe).imm32(0x228)       // mov edi, [rsi+0x228]
	c.emit(0x48, 0x8b, 0x3f)              // mov rdi, [rdi]
	c.emit(0xee)                          // out dx, al
	c.emit(0x8b, 0xbe).imm32(0x218)       // mov edi, [rsi+0x218]
	c.emit(0x48, 0x8b, 0x3f)              // mov rdi, [rdi]
	c.emit(0xee)                          // out dx, al
	c.emit(0xb0, BootProbeExit)           // mov al, 7
	c.emit(0xe6, 0xf4)                    // out 0xf4, al
	c.emit(0xf4)                          // hlt
	return elf64(BootProbeEntry, []elfSegment{{addr: BootProbeEntry, data: c.bytes(), flags: 5}}, nil)
}
