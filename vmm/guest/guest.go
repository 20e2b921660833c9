// Package guest generates minictr's own small KVM guests as machine code bytes: "hello"
// guests for real, protected and long mode, and a long-mode guest whose tiny ring-0 stub drops
// to ring 3 to run a CPU-bound loop and then calls the VMM through port-I/O hypercalls.
//
// Each generator documents its assembly beside the bytes it emits. The guests share one
// physical memory map (see docs/vmm.md):
//
//	0x0000_1000  GDT
//	0x0000_2000  PML4     (long mode)
//	0x0000_3000  PDPT
//	0x0000_4000  PD: 512 x 2 MiB pages, identity map of the first GiB, user-accessible
//	0x0000_7000  ring-0 stack top (grows down)
//	0x0000_8000  entry point (ring 0, or real mode)
//	0x0000_9000  message
//	0x0001_0000  ring-3 code   (user guest)
//	0x0001_1000  ring-3 message
//	0x0002_0000  ring-3 stack top
//	0x0020_0000  end of RAM (MemSize)
package guest

import (
	"encoding/binary"
	"fmt"

	"github.com/minictr/minictr/vmm/kvm"
)

// Mode is a guest's CPU mode.
type Mode string

// The modes of the hello guests, and the ring-3 workload guest.
const (
	Real      Mode = "real"
	Protected Mode = "protected"
	Long      Mode = "long"
	User      Mode = "user"
)

// Memory map (see the package comment).
const (
	GDTAddr       = 0x1000
	PML4Addr      = 0x2000
	PDPTAddr      = 0x3000
	PDAddr        = 0x4000
	StackTop      = 0x7000
	EntryAddr     = 0x8000
	MessageAddr   = 0x9000
	UserCodeAddr  = 0x10000
	UserMsgAddr   = 0x11000
	UserStackTop  = 0x20000
	MemSize       = 2 << 20
	hypercallPort = 0x510 // vmm.PortHypercall
	uartPort      = 0x3f8 // vmm.PortUART
)

// GDT selectors.
const (
	selCode64   = 0x08
	selData     = 0x10
	selCode32   = 0x18
	selUserData = 0x20 | 3
	selUserCode = 0x28 | 3
)

// gdt is the descriptor table of every protected- and long-mode guest. Each entry is a 64-bit
// descriptor: base 0, limit 0xfffff pages; the access byte (bits 40-47) gives present, DPL,
// code/data and type; the flags nibble (bits 52-55) gives G, D/B and L.
var gdt = []uint64{
	0,                  // 0x00 null
	0x00af9b000000ffff, // 0x08 64-bit code, DPL 0 (access 0x9b, flags G|L)
	0x00cf93000000ffff, // 0x10 data, DPL 0 (access 0x93, flags G|D/B)
	0x00cf9b000000ffff, // 0x18 32-bit code, DPL 0 (access 0x9b, flags G|D/B)
	0x00cff3000000ffff, // 0x20 data, DPL 3 (access 0xf3)
	0x00affb000000ffff, // 0x28 64-bit code, DPL 3 (access 0xfb, flags G|L)
}

// Chunk is bytes to place at a guest physical address.
type Chunk struct {
	Addr uint64
	Data []byte
}

// Guest is a generated guest: memory contents, initial registers, and what it should leave.
type Guest struct {
	Name   string
	Mode   Mode
	Chunks []Chunk
	Regs   kvm.Regs
	// segments sets the segment and control registers on top of the vCPU's reset state.
	segments func(*kvm.Sregs)
	// WantRAX is the value the hello guests leave in RAX before HLT (0 for User).
	WantRAX uint64
	// WantValues are the values the User guest reports by hypercall (nil: not checked).
	WantValues []uint64
}

// Load copies the guest's chunks into guest memory.
func (g *Guest) Load(mem []byte) error {
	for _, c := range g.Chunks {
		if c.Addr > uint64(len(mem)) || uint64(len(c.Data)) > uint64(len(mem))-c.Addr {
			return fmt.Errorf("load guest %s: chunk 0x%x+%d outside guest memory (%d bytes)", g.Name, c.Addr, len(c.Data), len(mem))
		}
		copy(mem[c.Addr:], c.Data)
	}
	return nil
}

// Setup sets the vCPU's registers for the guest's entry.
func (g *Guest) Setup(cpu *kvm.VCPU) error {
	s, err := cpu.GetSregs()
	if err != nil {
		return err
	}
	g.segments(&s)
	if err := cpu.SetSregs(&s); err != nil {
		return err
	}
	r := g.Regs
	return cpu.SetRegs(&r)
}

// Known values the hello guests leave in RAX.
const (
	RealValue      = 0x5245414c         // "REAL" read as a big-endian word
	ProtectedValue = 0x50524f54         // "PROT"
	LongValue      = 0x4c4f4e474d4f4445 // "LONGMODE"
)

// Hello returns the hello guest for a mode (Real, Protected or Long). It prints msg on the
// serial port one byte per OUT, leaves the mode's known value in RAX and halts:
//
//	    mov  dx, 0x3f8        ; COM1 data register
//	    mov  si, MessageAddr  ; NUL-terminated message
//	1:  lodsb                 ; al = [si++]
//	    test al, al
//	    jz   2f
//	    out  dx, al           ; one VM exit per byte
//	    jmp  1b
//	2:  mov  ax, VALUE        ; eax in real/protected mode (0x66 prefix in real mode), rax in long mode
//	    hlt                   ; KVM_EXIT_HLT: the VMM stops
//
// The encodings of the 16- and 32-bit forms are the same bytes; the CPU mode (CS.D) picks the
// operand size. In long mode, mov edx/esi zero-extend to rdx/rsi.
func Hello(mode Mode, msg string) (*Guest, error) {
	code, err := helloCode(mode, MessageAddr, false)
	if err != nil {
		return nil, err
	}
	g := &Guest{Name: "hello-" + string(mode), Mode: mode, WantRAX: helloValue(mode)}
	g.Chunks = []Chunk{{EntryAddr, code}, {MessageAddr, append([]byte(msg), 0)}}
	g.Regs = kvm.Regs{RIP: EntryAddr, RSP: StackTop, RFLAGS: 2}
	switch mode {
	case Real:
		g.segments = realMode
	case Protected:
		g.Chunks = append(g.Chunks, Chunk{GDTAddr, gdtBytes()})
		g.segments = protectedMode
	case Long:
		g.Chunks = append(g.Chunks, Chunk{GDTAddr, gdtBytes()})
		g.Chunks = append(g.Chunks, pageTables()...)
		g.segments = longMode
	}
	return g, nil
}

func helloValue(mode Mode) uint64 {
	switch mode {
	case Real:
		return RealValue
	case Protected:
		return ProtectedValue
	}
	return LongValue
}

// helloCode assembles the hello loop for mode with the message at msgAddr. With exitPort, the
// guest also writes 0 to the debug exit port before HLT (out 0xf4, al: E6 F4), so that a VMM
// that idles on HLT (qemu) stops too.
func helloCode(mode Mode, msgAddr uint32, exitPort bool) ([]byte, error) {
	c := newCode()
	switch mode {
	case Real:
		if msgAddr > 0xffff {
			return nil, fmt.Errorf("hello guest: message at 0x%x not addressable in real mode", msgAddr)
		}
		c.emit(0xba).imm16(uartPort)        // mov dx, 0x3f8
		c.emit(0xbe).imm16(uint16(msgAddr)) // mov si, msgAddr
	case Protected, Long:
		c.emit(0xba).imm32(uartPort) // mov edx, 0x3f8
		c.emit(0xbe).imm32(msgAddr)  // mov esi, msgAddr
	default:
		return nil, fmt.Errorf("hello guest: unknown mode %q (want real, protected or long)", mode)
	}
	c.label("next")
	c.emit(0xac)              // lodsb
	c.emit(0x84, 0xc0)        // test al, al
	c.emit(0x74).rel8("done") // jz done
	c.emit(0xee)              // out dx, al
	c.emit(0xeb).rel8("next") // jmp next
	c.label("done")
	switch mode {
	case Real:
		c.emit(0x66, 0xb8).imm32(RealValue) // mov eax, imm32 (operand-size prefix)
	case Protected:
		c.emit(0xb8).imm32(ProtectedValue) // mov eax, imm32
	case Long:
		c.emit(0x48, 0xb8).imm64(LongValue) // mov rax, imm64 (REX.W)
	}
	if exitPort {
		c.emit(0xe6, 0xf4) // out 0xf4, al: debug exit (status = al's low byte in our VMM)
	}
	c.emit(0xf4) // hlt
	return c.bytes(), nil
}

// UserOptions configure the ring-3 workload guest.
type UserOptions struct {
	Iterations uint64 // LCG steps of the CPU-bound loop
	NopExits   uint32 // nop hypercalls after the loop (to measure the exit round trip)
	// KernelNopExits are nop hypercalls made by the ring-0 stub before it drops to ring 3
	// (the exit round trip from guest kernel mode).
	KernelNopExits uint32
	Message        string // printed with one print hypercall
	// NoCheck skips computing the expected result on the host (as long as the guest's run:
	// benchmarks set it).
	NoCheck bool
}

// LCG constants of the workload (Knuth's MMIX generator).
const (
	lcgSeed = 0x2545f4914f6cdd1d
	lcgMul  = 6364136223846793005
	lcgInc  = 1442695040888963407
)

// LCG is the workload's result computed on the host: n steps of x = x*lcgMul + lcgInc.
func LCG(n uint64) uint64 {
	x := uint64(lcgSeed)
	for i := uint64(0); i < n; i++ {
		x = x*lcgMul + lcgInc
	}
	return x
}

// workloadLoop emits the CPU-bound loop, shared by the guest and the host ELF so that both run
// the same bytes:
//
//	    mov  rax, lcgSeed
//	    mov  rbx, lcgMul
//	    mov  r8,  lcgInc
//	    mov  rcx, n
//	    test rcx, rcx
//	    jz   2f
//	1:  imul rax, rbx
//	    add  rax, r8
//	    dec  rcx
//	    jnz  1b
//	2:
func workloadLoop(c *code, n uint64) {
	c.emit(0x48, 0xb8).imm64(lcgSeed) // mov rax, imm64
	c.emit(0x48, 0xbb).imm64(lcgMul)  // mov rbx, imm64
	c.emit(0x49, 0xb8).imm64(lcgInc)  // mov r8, imm64
	c.emit(0x48, 0xb9).imm64(n)       // mov rcx, imm64
	c.emit(0x48, 0x85, 0xc9)          // test rcx, rcx
	c.emit(0x74).rel8("loopdone")     // jz loopdone
	c.label("loop")
	c.emit(0x48, 0x0f, 0xaf, 0xc3) // imul rax, rbx
	c.emit(0x4c, 0x01, 0xc0)       // add rax, r8
	c.emit(0x48, 0xff, 0xc9)       // dec rcx
	c.emit(0x75).rel8("loop")      // jnz loop
	c.label("loopdone")
}

// UserGuest returns the ring-3 workload guest. Ring 0 runs five pushes and an IRETQ (kept
// minimal: on a nested paravirtual KVM, guest kernel mode is emulated); everything else runs
// in ring 3 at native speed, with IOPL 3 so that OUT reaches the VMM directly:
//
//	ring 0, at EntryAddr:
//	    mov  edx, 0x510      ; (only when KernelNopExits > 0)
//	    mov  ecx, KernelNopExits
//	    mov  al, 0
//	0:  out  dx, al          ; nop hypercall from ring 0
//	    dec  ecx
//	    jnz  0b
//	    push 0x23            ; SS: user data selector, RPL 3
//	    push UserStackTop    ; RSP
//	    push 0x3002          ; RFLAGS: IOPL=3, IF=0
//	    push 0x2b            ; CS: user 64-bit code selector, RPL 3
//	    push UserCodeAddr    ; RIP
//	    iretq                ; to ring 3
//	ring 3, at UserCodeAddr:
//	    <workloadLoop>       ; result in rax
//	    mov  rdi, rax
//	    mov  edx, 0x510      ; hypercall port
//	    mov  al, 3           ; report(rdi)
//	    out  dx, al
//	    mov  ecx, NopExits   ; (only when NopExits > 0)
//	    mov  al, 0
//	3:  out  dx, al          ; nop hypercall: one exit round trip
//	    dec  ecx
//	    jnz  3b
//	    mov  edi, UserMsgAddr
//	    mov  esi, len(Message)
//	    mov  al, 1           ; print(rdi, rsi)
//	    out  dx, al
//	    xor  edi, edi
//	    mov  al, 2           ; exit(0)
//	    out  dx, al
//	4:  jmp  4b              ; not reached
func UserGuest(o UserOptions) *Guest {
	k := newCode()
	if o.KernelNopExits > 0 {
		k.emit(0xba).imm32(hypercallPort)    // mov edx, 0x510
		k.emit(0xb9).imm32(o.KernelNopExits) // mov ecx, imm32
		k.emit(0xb0, 0)                      // mov al, 0
		k.label("knop")
		k.emit(0xee)              // out dx, al
		k.emit(0xff, 0xc9)        // dec ecx
		k.emit(0x75).rel8("knop") // jnz knop
	}
	k.emit(0x6a, selUserData)        // push imm8
	k.emit(0x68).imm32(UserStackTop) // push imm32
	k.emit(0x68).imm32(0x3002)       // push imm32
	k.emit(0x6a, selUserCode)        // push imm8
	k.emit(0x68).imm32(UserCodeAddr) // push imm32
	k.emit(0x48, 0xcf)               // iretq

	u := newCode()
	workloadLoop(u, o.Iterations)
	u.emit(0x48, 0x89, 0xc7)          // mov rdi, rax
	u.emit(0xba).imm32(hypercallPort) // mov edx, 0x510
	u.emit(0xb0, 3)                   // mov al, 3
	u.emit(0xee)                      // out dx, al
	if o.NopExits > 0 {
		u.emit(0xb9).imm32(o.NopExits) // mov ecx, imm32
		u.emit(0xb0, 0)                // mov al, 0
		u.label("nop")
		u.emit(0xee)             // out dx, al
		u.emit(0xff, 0xc9)       // dec ecx
		u.emit(0x75).rel8("nop") // jnz nop
	}
	u.emit(0xbf).imm32(UserMsgAddr)            // mov edi, imm32
	u.emit(0xbe).imm32(uint32(len(o.Message))) // mov esi, imm32
	u.emit(0xb0, 1)                            // mov al, 1
	u.emit(0xee)                               // out dx, al
	u.emit(0x31, 0xff)                         // xor edi, edi
	u.emit(0xb0, 2)                            // mov al, 2
	u.emit(0xee)                               // out dx, al
	u.label("spin")
	u.emit(0xeb).rel8("spin") // jmp spin

	g := &Guest{
		Name: "user",
		Mode: User,
		Chunks: append([]Chunk{
			{GDTAddr, gdtBytes()},
			{EntryAddr, k.bytes()},
			{UserCodeAddr, u.bytes()},
			{UserMsgAddr, []byte(o.Message)},
		}, pageTables()...),
		Regs:     kvm.Regs{RIP: EntryAddr, RSP: StackTop, RFLAGS: 2},
		segments: longMode,
	}
	if !o.NoCheck {
		g.WantValues = []uint64{LCG(o.Iterations)}
	}
	return g
}

func gdtBytes() []byte {
	b := make([]byte, 0, len(gdt)*8)
	for _, d := range gdt {
		b = binary.LittleEndian.AppendUint64(b, d)
	}
	return b
}

// pageTables identity-maps the first GiB with 2 MiB pages, all present, writable and
// user-accessible (bits P|RW|US = 0x7, plus PS = 0x80 in the PD entries).
func pageTables() []Chunk {
	pml4 := make([]byte, 4096)
	pdpt := make([]byte, 4096)
	pd := make([]byte, 4096)
	binary.LittleEndian.PutUint64(pml4, PDPTAddr|0x7)
	binary.LittleEndian.PutUint64(pdpt, PDAddr|0x7)
	for i := uint64(0); i < 512; i++ {
		binary.LittleEndian.PutUint64(pd[i*8:], i<<21|0x87)
	}
	return []Chunk{{PML4Addr, pml4}, {PDPTAddr, pdpt}, {PDAddr, pd}}
}

// seg builds a segment register's hidden state as a descriptor from gdt would load it.
func seg(sel uint16, typ, dpl, db, l uint8) kvm.Segment {
	return kvm.Segment{Base: 0, Limit: 0xffffffff, Selector: sel, Type: typ, Present: 1, DPL: dpl, DB: db, S: 1, L: l, G: 1}
}

const (
	cr0PE   = 1 << 0
	cr0MP   = 1 << 1
	cr0ET   = 1 << 4
	cr0NE   = 1 << 5
	cr0WP   = 1 << 16
	cr0PG   = 1 << 31
	cr4PAE  = 1 << 5
	eferLME = 1 << 8
	eferLMA = 1 << 10
)

// realMode: CS = DS = ... = 0 (base 0, 64 KiB limit), CR0.PE = 0. The reset state has CS base
// 0xffff0000; we move it to 0 so that IP = EntryAddr is a physical address.
func realMode(s *kvm.Sregs) {
	for _, r := range []*kvm.Segment{&s.CS, &s.DS, &s.ES, &s.FS, &s.GS, &s.SS} {
		r.Base, r.Selector, r.Limit = 0, 0, 0xffff
	}
	s.CR0 &^= cr0PE | cr0PG
}

// protectedMode: flat 4 GiB 32-bit segments from gdt, CR0.PE = 1, no paging.
func protectedMode(s *kvm.Sregs) {
	s.GDT = kvm.DTable{Base: GDTAddr, Limit: uint16(len(gdt)*8 - 1)}
	s.CS = seg(selCode32, 0xb, 0, 1, 0)
	data := seg(selData, 0x3, 0, 1, 0)
	s.DS, s.ES, s.FS, s.GS, s.SS = data, data, data, data, data
	s.CR0 = cr0PE | cr0ET | cr0NE
}

// longMode: 64-bit code segment, the identity page tables, CR0.PG|PE, CR4.PAE, EFER.LME|LMA.
func longMode(s *kvm.Sregs) {
	s.GDT = kvm.DTable{Base: GDTAddr, Limit: uint16(len(gdt)*8 - 1)}
	s.CS = seg(selCode64, 0xb, 0, 0, 1)
	data := seg(selData, 0x3, 0, 1, 0)
	s.DS, s.ES, s.FS, s.GS, s.SS = data, data, data, data, data
	s.CR3 = PML4Addr
	s.CR4 = cr4PAE
	s.CR0 = cr0PE | cr0MP | cr0ET | cr0NE | cr0WP | cr0PG
	s.EFER = eferLME | eferLMA
}

// Echo returns a long-mode guest that copies serial input to serial output, polling the line
// status register, until it has echoed a newline; then it halts with the last byte in RAX.
//
//	0:  mov  edx, 0x3fd      ; LSR
//	1:  in   al, dx
//	    test al, 1           ; data ready?
//	    jz   1b
//	    mov  edx, 0x3f8      ; RBR / THR
//	    in   al, dx
//	    out  dx, al
//	    cmp  al, 0x0a
//	    jne  0b
//	    hlt
func Echo() *Guest {
	c := newCode()
	c.label("top")
	c.emit(0xba).imm32(uartPort + 5) // mov edx, 0x3fd
	c.label("poll")
	c.emit(0xec)                 // in al, dx
	c.emit(0xa8, 0x01)           // test al, 1
	c.emit(0x74).rel8("poll")    // jz poll
	c.emit(0xba).imm32(uartPort) // mov edx, 0x3f8
	c.emit(0xec)                 // in al, dx
	c.emit(0xee)                 // out dx, al
	c.emit(0x3c, 0x0a)           // cmp al, 0x0a
	c.emit(0x75).rel8("top")     // jne top
	c.emit(0xf4)                 // hlt
	g := &Guest{Name: "echo", Mode: Long, WantRAX: '\n', segments: longMode}
	g.Chunks = append([]Chunk{{GDTAddr, gdtBytes()}, {EntryAddr, c.bytes()}}, pageTables()...)
	g.Regs = kvm.Regs{RIP: EntryAddr, RSP: StackTop, RFLAGS: 2}
	return g
}
