package kvm

import "unsafe"

// Regs mirrors struct kvm_regs: the general purpose registers, RIP and RFLAGS (144 bytes).
type Regs struct {
	RAX, RBX, RCX, RDX uint64
	RSI, RDI, RSP, RBP uint64
	R8, R9, R10, R11   uint64
	R12, R13, R14, R15 uint64
	RIP, RFLAGS        uint64
}

// Segment mirrors struct kvm_segment: a segment register with its hidden descriptor cache
// (24 bytes). Type is the 4-bit descriptor type; S=1 for code/data; L=1 for 64-bit code;
// DB is the default operand size (1 = 32-bit); G is the limit granularity (1 = 4 KiB).
type Segment struct {
	Base                           uint64
	Limit                          uint32
	Selector                       uint16
	Type                           uint8
	Present, DPL, DB, S, L, G, AVL uint8
	Unusable                       uint8
	_                              uint8
}

// DTable mirrors struct kvm_dtable: the GDTR or IDTR (16 bytes).
type DTable struct {
	Base  uint64
	Limit uint16
	_     [3]uint16
}

// Sregs mirrors struct kvm_sregs: segment and system registers (312 bytes).
type Sregs struct {
	CS, DS, ES, FS, GS, SS Segment
	TR, LDT                Segment
	GDT, IDT               DTable
	CR0, CR2, CR3, CR4     uint64
	CR8                    uint64
	EFER                   uint64
	APICBase               uint64
	InterruptBitmap        [4]uint64 // (KVM_NR_INTERRUPTS + 63) / 64, KVM_NR_INTERRUPTS = 256
}

// UserspaceMemoryRegion mirrors struct kvm_userspace_memory_region (32 bytes): guest physical
// memory [GuestPhysAddr, GuestPhysAddr+MemorySize) is backed by host memory at UserspaceAddr.
type UserspaceMemoryRegion struct {
	Slot          uint32
	Flags         uint32
	GuestPhysAddr uint64
	MemorySize    uint64
	UserspaceAddr uint64
}

// CPUIDEntry2 mirrors struct kvm_cpuid_entry2 (40 bytes).
type CPUIDEntry2 struct {
	Function uint32
	Index    uint32
	Flags    uint32
	EAX      uint32
	EBX      uint32
	ECX      uint32
	EDX      uint32
	_        [3]uint32
}

// cpuid2Header mirrors the fixed part of struct kvm_cpuid2 (8 bytes); the entries follow it.
type cpuid2Header struct {
	Nent uint32
	_    uint32
}

// MaxCPUIDEntries bounds the CPUID table we ask KVM for (KVM's own limit is 256).
const MaxCPUIDEntries = 256

// cpuid2 is struct kvm_cpuid2 with room for MaxCPUIDEntries entries.
type cpuid2 struct {
	cpuid2Header
	Entries [MaxCPUIDEntries]CPUIDEntry2
}

// MSREntry mirrors struct kvm_msr_entry (16 bytes).
type MSREntry struct {
	Index uint32
	_     uint32
	Data  uint64
}

// msrsHeader mirrors the fixed part of struct kvm_msrs (8 bytes).
type msrsHeader struct {
	Nmsrs uint32
	_     uint32
}

// IRQLevel mirrors struct kvm_irq_level (8 bytes): raise (Level=1) or lower an IRQ line of the
// in-kernel irqchip.
type IRQLevel struct {
	IRQ   uint32
	Level uint32
}

// PITConfig mirrors struct kvm_pit_config (64 bytes).
type PITConfig struct {
	Flags uint32
	_     [15]uint32
}

// Run mirrors the start of struct kvm_run, the page shared between KVM and the VMM for each
// vCPU (mmapped from the vCPU fd). Exit holds the union that depends on ExitReason; the typed
// views IO, MMIO, Internal, SystemEvent and FailEntry read it.
type Run struct {
	RequestInterruptWindow     uint8
	ImmediateExit              uint8
	_                          [6]uint8
	ExitReason                 uint32
	ReadyForInterruptInjection uint8
	IfFlag                     uint8
	Flags                      uint16
	CR8                        uint64
	APICBase                   uint64
	Exit                       [256]byte // the exit union at offset 32
}

// RunIO is the io member of the kvm_run exit union (KVM_EXIT_IO). The data is in the kvm_run
// page itself, DataOffset bytes from its start: Count items of Size bytes.
type RunIO struct {
	Direction  uint8 // ExitIOIn or ExitIOOut
	Size       uint8 // 1, 2 or 4
	Port       uint16
	Count      uint32
	DataOffset uint64
}

// RunMMIO is the mmio member (KVM_EXIT_MMIO).
type RunMMIO struct {
	PhysAddr uint64
	Data     [8]uint8
	Len      uint32
	IsWrite  uint8
}

// RunInternal is the internal member (KVM_EXIT_INTERNAL_ERROR).
type RunInternal struct {
	Suberror uint32
	Ndata    uint32
	Data     [16]uint64
}

// RunSystemEvent is the system_event member (KVM_EXIT_SYSTEM_EVENT).
type RunSystemEvent struct {
	Type  uint32
	Ndata uint32
	Data  [16]uint64
}

// RunFailEntry is the fail_entry member (KVM_EXIT_FAIL_ENTRY).
type RunFailEntry struct {
	HardwareEntryFailureReason uint64
	CPU                        uint32
}

// IO returns the io view of the exit union.
func (r *Run) IO() *RunIO { return (*RunIO)(unsafe.Pointer(&r.Exit[0])) }

// MMIO returns the mmio view of the exit union.
func (r *Run) MMIO() *RunMMIO { return (*RunMMIO)(unsafe.Pointer(&r.Exit[0])) }

// Internal returns the internal-error view of the exit union.
func (r *Run) Internal() *RunInternal { return (*RunInternal)(unsafe.Pointer(&r.Exit[0])) }

// SystemEvent returns the system-event view of the exit union.
func (r *Run) SystemEvent() *RunSystemEvent { return (*RunSystemEvent)(unsafe.Pointer(&r.Exit[0])) }

// FailEntry returns the fail-entry view of the exit union.
func (r *Run) FailEntry() *RunFailEntry { return (*RunFailEntry)(unsafe.Pointer(&r.Exit[0])) }

// Exit reasons (kvm_run.exit_reason).
const (
	ExitUnknown       = 0
	ExitException     = 1
	ExitIO            = 2
	ExitHypercall     = 3
	ExitDebug         = 4
	ExitHLT           = 5
	ExitMMIO          = 6
	ExitIRQWindowOpen = 7
	ExitShutdown      = 8
	ExitFailEntry     = 9
	ExitIntr          = 10
	ExitSetTPR        = 11
	ExitTPRAccess     = 12
	ExitNMI           = 16
	ExitInternalError = 17
	ExitSystemEvent   = 24
)

// ExitIOIn and ExitIOOut are RunIO.Direction values.
const (
	ExitIOIn  = 0
	ExitIOOut = 1
)

// System event types (RunSystemEvent.Type).
const (
	SystemEventShutdown = 1
	SystemEventReset    = 2
	SystemEventCrash    = 3
)

var exitNames = map[uint32]string{
	ExitUnknown: "UNKNOWN", ExitException: "EXCEPTION", ExitIO: "IO", ExitHypercall: "HYPERCALL",
	ExitDebug: "DEBUG", ExitHLT: "HLT", ExitMMIO: "MMIO", ExitIRQWindowOpen: "IRQ_WINDOW_OPEN",
	ExitShutdown: "SHUTDOWN", ExitFailEntry: "FAIL_ENTRY", ExitIntr: "INTR", ExitSetTPR: "SET_TPR",
	ExitTPRAccess: "TPR_ACCESS", ExitNMI: "NMI", ExitInternalError: "INTERNAL_ERROR",
	ExitSystemEvent: "SYSTEM_EVENT",
}

// ExitName is the kernel's name of an exit reason without the KVM_EXIT_ prefix.
func ExitName(reason uint32) string {
	if n, ok := exitNames[reason]; ok {
		return n
	}
	return "unknown exit reason"
}

// Capabilities (KVM_CHECK_EXTENSION arguments) that this project uses.
const (
	CapIRQChip            = 0
	CapHLT                = 1
	CapUserMemory         = 3
	CapSetTSSAddr         = 4
	CapExtCPUID           = 7
	CapPIT2               = 33
	CapSetIdentityMapAddr = 37
	CapImmediateExit      = 136
)

// CapName names a capability for error messages.
func CapName(c int) string {
	switch c {
	case CapIRQChip:
		return "KVM_CAP_IRQCHIP"
	case CapHLT:
		return "KVM_CAP_HLT"
	case CapUserMemory:
		return "KVM_CAP_USER_MEMORY"
	case CapSetTSSAddr:
		return "KVM_CAP_SET_TSS_ADDR"
	case CapExtCPUID:
		return "KVM_CAP_EXT_CPUID"
	case CapPIT2:
		return "KVM_CAP_PIT2"
	case CapSetIdentityMapAddr:
		return "KVM_CAP_SET_IDENTITY_MAP_ADDR"
	case CapImmediateExit:
		return "KVM_CAP_IMMEDIATE_EXIT"
	}
	return "KVM_CAP_?"
}
