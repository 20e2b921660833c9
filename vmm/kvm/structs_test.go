package kvm

import (
	"testing"
	"unsafe"
)

// The expected values are the kernel's: sizeof/offsetof of the C structs in
// include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h on x86-64, and the ioctl
// request numbers as the _IO* macros expand them.
func TestStructLayout(t *testing.T) {
	var sr Sregs
	var run Run
	var io RunIO
	var mm RunMMIO
	var in RunInternal
	var se RunSystemEvent
	var fe RunFailEntry
	cases := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(kvm_regs)", unsafe.Sizeof(Regs{}), 144},
		{"offsetof(kvm_regs.rip)", unsafe.Offsetof(Regs{}.RIP), 128},
		{"offsetof(kvm_regs.rflags)", unsafe.Offsetof(Regs{}.RFLAGS), 136},
		{"sizeof(kvm_segment)", unsafe.Sizeof(Segment{}), 24},
		{"offsetof(kvm_segment.selector)", unsafe.Offsetof(Segment{}.Selector), 12},
		{"offsetof(kvm_segment.type)", unsafe.Offsetof(Segment{}.Type), 14},
		{"offsetof(kvm_segment.unusable)", unsafe.Offsetof(Segment{}.Unusable), 22},
		{"sizeof(kvm_dtable)", unsafe.Sizeof(DTable{}), 16},
		{"sizeof(kvm_sregs)", unsafe.Sizeof(sr), 312},
		{"offsetof(kvm_sregs.tr)", unsafe.Offsetof(sr.TR), 144},
		{"offsetof(kvm_sregs.gdt)", unsafe.Offsetof(sr.GDT), 192},
		{"offsetof(kvm_sregs.cr0)", unsafe.Offsetof(sr.CR0), 224},
		{"offsetof(kvm_sregs.efer)", unsafe.Offsetof(sr.EFER), 264},
		{"offsetof(kvm_sregs.apic_base)", unsafe.Offsetof(sr.APICBase), 272},
		{"offsetof(kvm_sregs.interrupt_bitmap)", unsafe.Offsetof(sr.InterruptBitmap), 280},
		{"sizeof(kvm_userspace_memory_region)", unsafe.Sizeof(UserspaceMemoryRegion{}), 32},
		{"offsetof(kvm_userspace_memory_region.userspace_addr)", unsafe.Offsetof(UserspaceMemoryRegion{}.UserspaceAddr), 24},
		{"sizeof(kvm_cpuid_entry2)", unsafe.Sizeof(CPUIDEntry2{}), 40},
		{"sizeof(kvm_cpuid2)", unsafe.Sizeof(cpuid2Header{}), 8},
		{"sizeof(kvm_msr_entry)", unsafe.Sizeof(MSREntry{}), 16},
		{"sizeof(kvm_msrs)", unsafe.Sizeof(msrsHeader{}), 8},
		{"sizeof(kvm_irq_level)", unsafe.Sizeof(IRQLevel{}), 8},
		{"sizeof(kvm_pit_config)", unsafe.Sizeof(PITConfig{}), 64},
		{"offsetof(kvm_run.exit_reason)", unsafe.Offsetof(run.ExitReason), 8},
		{"offsetof(kvm_run.ready_for_interrupt_injection)", unsafe.Offsetof(run.ReadyForInterruptInjection), 12},
		{"offsetof(kvm_run.cr8)", unsafe.Offsetof(run.CR8), 16},
		{"offsetof(kvm_run.apic_base)", unsafe.Offsetof(run.APICBase), 24},
		{"offsetof(kvm_run.io)", unsafe.Offsetof(run.Exit), 32},
		{"sizeof(kvm_run up to kvm_valid_regs)", unsafe.Sizeof(run), 288},
		{"offsetof(kvm_run.io.port)-32", unsafe.Offsetof(io.Port), 2},
		{"offsetof(kvm_run.io.count)-32", unsafe.Offsetof(io.Count), 4},
		{"offsetof(kvm_run.io.data_offset)-32", unsafe.Offsetof(io.DataOffset), 8},
		{"offsetof(kvm_run.mmio.data)-32", unsafe.Offsetof(mm.Data), 8},
		{"offsetof(kvm_run.mmio.len)-32", unsafe.Offsetof(mm.Len), 16},
		{"offsetof(kvm_run.mmio.is_write)-32", unsafe.Offsetof(mm.IsWrite), 20},
		{"offsetof(kvm_run.internal.ndata)-32", unsafe.Offsetof(in.Ndata), 4},
		{"offsetof(kvm_run.internal.data)-32", unsafe.Offsetof(in.Data), 8},
		{"offsetof(kvm_run.system_event.ndata)-32", unsafe.Offsetof(se.Ndata), 4},
		{"offsetof(kvm_run.fail_entry.cpu)-32", unsafe.Offsetof(fe.CPU), 8},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %d, kernel has %d", c.name, c.got, c.want)
		}
	}
	if s := unsafe.Sizeof(RunInternal{}); s > 256 {
		t.Errorf("internal view is %d bytes, larger than the 256-byte exit union", s)
	}
}

func TestRequestNumbers(t *testing.T) {
	cases := []struct {
		name      string
		got, want uintptr
	}{
		{"KVM_GET_API_VERSION", reqGetAPIVersion, 0xae00},
		{"KVM_CREATE_VM", reqCreateVM, 0xae01},
		{"KVM_CHECK_EXTENSION", reqCheckExtension, 0xae03},
		{"KVM_GET_VCPU_MMAP_SIZE", reqGetVCPUMmapSize, 0xae04},
		{"KVM_GET_SUPPORTED_CPUID", reqGetSupportedCPUID, 0xc008ae05},
		{"KVM_CREATE_VCPU", reqCreateVCPU, 0xae41},
		{"KVM_SET_USER_MEMORY_REGION", reqSetUserMemoryRegion, 0x4020ae46},
		{"KVM_SET_TSS_ADDR", reqSetTSSAddr, 0xae47},
		{"KVM_SET_IDENTITY_MAP_ADDR", reqSetIdentityMapAddr, 0x4008ae48},
		{"KVM_CREATE_IRQCHIP", reqCreateIRQChip, 0xae60},
		{"KVM_IRQ_LINE", reqIRQLine, 0x4008ae61},
		{"KVM_CREATE_PIT2", reqCreatePIT2, 0x4040ae77},
		{"KVM_RUN", reqRun, 0xae80},
		{"KVM_GET_REGS", reqGetRegs, 0x8090ae81},
		{"KVM_SET_REGS", reqSetRegs, 0x4090ae82},
		{"KVM_GET_SREGS", reqGetSregs, 0x8138ae83},
		{"KVM_SET_SREGS", reqSetSregs, 0x4138ae84},
		{"KVM_SET_MSRS", reqSetMSRs, 0x4008ae89},
		{"KVM_SET_CPUID2", reqSetCPUID2, 0x4008ae90},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %#x, kernel has %#x", c.name, c.got, c.want)
		}
	}
}

// TestSystem makes the system ioctls for real.
func TestSystem(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("no usable %s: %v", DevicePath, err)
	}
	s, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RequireExtensions(CapUserMemory, CapHLT); err != nil {
		t.Fatal(err)
	}
	n, err := s.VCPUMmapSize()
	if err != nil {
		t.Fatal(err)
	}
	if n < int(unsafe.Sizeof(Run{})) {
		t.Fatalf("vCPU mmap size %d smaller than kvm_run", n)
	}
	ids, err := s.SupportedCPUID()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range ids {
		if e.Function == 0 {
			found = true
		}
	}
	if !found {
		t.Fatalf("supported CPUID (%d entries) has no leaf 0", len(ids))
	}
	vm, err := s.CreateVM()
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	c, err := vm.CreateVCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetCPUID2(ids); err != nil {
		t.Fatal(err)
	}
	sr, err := c.GetSregs()
	if err != nil {
		t.Fatal(err)
	}
	// A fresh vCPU is at the reset vector: CS selector 0xf000.
	if sr.CS.Selector != 0xf000 {
		t.Errorf("reset CS selector = %#x, want 0xf000", sr.CS.Selector)
	}
}
