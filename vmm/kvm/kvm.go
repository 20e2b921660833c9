package kvm

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// APIVersion is the only KVM API version there has ever been in mainline Linux (KVM_API_VERSION).
const APIVersion = 12

// DevicePath is the KVM device node.
const DevicePath = "/dev/kvm"

// System is an open /dev/kvm.
type System struct {
	fd int
}

// Open opens /dev/kvm and checks the API version. The error says what to do when the device is
// missing or not accessible.
func Open() (*System, error) {
	fd, err := unix.Open(DevicePath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("open %s: %w (no KVM on this host: load kvm_intel/kvm_amd, or enable nested virtualization)", DevicePath, err)
		}
		return nil, fmt.Errorf("open %s: %w", DevicePath, err)
	}
	s := &System{fd: fd}
	v, err := s.APIVersion()
	if err != nil {
		s.Close()
		return nil, err
	}
	if v != APIVersion {
		s.Close()
		return nil, fmt.Errorf("KVM_GET_API_VERSION on %s = %d: want %d", DevicePath, v, APIVersion)
	}
	return s, nil
}

// Available reports whether /dev/kvm exists and can be opened read-write (for tests to skip).
func Available() error {
	f, err := os.OpenFile(DevicePath, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// Close closes /dev/kvm (VMs created from it stay valid).
func (s *System) Close() error { return unix.Close(s.fd) }

// APIVersion is KVM_GET_API_VERSION.
func (s *System) APIVersion() (int, error) {
	r, err := ioctl(s.fd, reqGetAPIVersion, 0)
	if err != nil {
		return 0, fmt.Errorf("KVM_GET_API_VERSION on %s: %w", DevicePath, err)
	}
	return int(r), nil
}

// CheckExtension is KVM_CHECK_EXTENSION: 0 when the capability is absent, otherwise a
// capability-specific positive value (usually 1).
func (s *System) CheckExtension(c int) (int, error) {
	r, err := ioctl(s.fd, reqCheckExtension, uintptr(c))
	if err != nil {
		return 0, fmt.Errorf("KVM_CHECK_EXTENSION %s (%d): %w", CapName(c), c, err)
	}
	return int(r), nil
}

// RequireExtensions checks every capability and names the missing ones.
func (s *System) RequireExtensions(caps ...int) error {
	var missing []string
	for _, c := range caps {
		v, err := s.CheckExtension(c)
		if err != nil {
			return err
		}
		if v == 0 {
			missing = append(missing, CapName(c))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("KVM on this host lacks required capabilities: %v", missing)
	}
	return nil
}

// VCPUMmapSize is KVM_GET_VCPU_MMAP_SIZE: the size of the kvm_run mapping of each vCPU.
func (s *System) VCPUMmapSize() (int, error) {
	r, err := ioctl(s.fd, reqGetVCPUMmapSize, 0)
	if err != nil {
		return 0, fmt.Errorf("KVM_GET_VCPU_MMAP_SIZE: %w", err)
	}
	return int(r), nil
}

// SupportedCPUID is KVM_GET_SUPPORTED_CPUID: the CPUID leaves KVM can expose to a guest,
// already filtered to what the host and KVM support.
func (s *System) SupportedCPUID() ([]CPUIDEntry2, error) {
	c := new(cpuid2)
	c.Nent = MaxCPUIDEntries
	if _, err := ioctl(s.fd, reqGetSupportedCPUID, uintptr(unsafe.Pointer(c))); err != nil {
		return nil, fmt.Errorf("KVM_GET_SUPPORTED_CPUID (room for %d entries): %w", MaxCPUIDEntries, err)
	}
	if c.Nent > MaxCPUIDEntries {
		return nil, fmt.Errorf("KVM_GET_SUPPORTED_CPUID: nent = %d > %d", c.Nent, MaxCPUIDEntries)
	}
	out := make([]CPUIDEntry2, c.Nent)
	copy(out, c.Entries[:c.Nent])
	return out, nil
}

// CreateVM is KVM_CREATE_VM (machine type 0: the default x86 VM).
func (s *System) CreateVM() (*VM, error) {
	r, err := ioctl(s.fd, reqCreateVM, 0)
	if err != nil {
		return nil, fmt.Errorf("KVM_CREATE_VM: %w", err)
	}
	return &VM{fd: int(r), sys: s}, nil
}

// VM is a virtual machine file descriptor.
type VM struct {
	fd  int
	sys *System
}

// Close closes the VM fd (the kernel frees the VM when its vCPUs are closed too).
func (vm *VM) Close() error { return unix.Close(vm.fd) }

// SetUserMemoryRegion is KVM_SET_USER_MEMORY_REGION: map host memory into guest physical
// address space as one slot.
func (vm *VM) SetUserMemoryRegion(r *UserspaceMemoryRegion) error {
	if _, err := ioctl(vm.fd, reqSetUserMemoryRegion, uintptr(unsafe.Pointer(r))); err != nil {
		return fmt.Errorf("KVM_SET_USER_MEMORY_REGION slot %d guest 0x%x size 0x%x: %w", r.Slot, r.GuestPhysAddr, r.MemorySize, err)
	}
	return nil
}

// SetTSSAddr is KVM_SET_TSS_ADDR: three pages of guest physical address space that Intel VMX
// needs for real-mode emulation; they must not overlap guest memory in use.
func (vm *VM) SetTSSAddr(addr uint64) error {
	if _, err := ioctl(vm.fd, reqSetTSSAddr, uintptr(addr)); err != nil {
		return fmt.Errorf("KVM_SET_TSS_ADDR 0x%x: %w", addr, err)
	}
	return nil
}

// SetIdentityMapAddr is KVM_SET_IDENTITY_MAP_ADDR: one page for the identity page table that
// Intel VMX uses for real mode without unrestricted guest.
func (vm *VM) SetIdentityMapAddr(addr uint64) error {
	a := addr
	if _, err := ioctl(vm.fd, reqSetIdentityMapAddr, uintptr(unsafe.Pointer(&a))); err != nil {
		return fmt.Errorf("KVM_SET_IDENTITY_MAP_ADDR 0x%x: %w", addr, err)
	}
	return nil
}

// CreateIRQChip is KVM_CREATE_IRQCHIP: in-kernel PIC, IOAPIC and local APICs.
func (vm *VM) CreateIRQChip() error {
	if _, err := ioctl(vm.fd, reqCreateIRQChip, 0); err != nil {
		return fmt.Errorf("KVM_CREATE_IRQCHIP: %w", err)
	}
	return nil
}

// CreatePIT2 is KVM_CREATE_PIT2: the in-kernel i8254 timer (needs the irqchip first).
func (vm *VM) CreatePIT2() error {
	var c PITConfig
	if _, err := ioctl(vm.fd, reqCreatePIT2, uintptr(unsafe.Pointer(&c))); err != nil {
		return fmt.Errorf("KVM_CREATE_PIT2: %w", err)
	}
	return nil
}

// IRQLine is KVM_IRQ_LINE: set the level of an interrupt line of the in-kernel irqchip.
func (vm *VM) IRQLine(irq uint32, level bool) error {
	l := IRQLevel{IRQ: irq}
	if level {
		l.Level = 1
	}
	if _, err := ioctl(vm.fd, reqIRQLine, uintptr(unsafe.Pointer(&l))); err != nil {
		return fmt.Errorf("KVM_IRQ_LINE irq %d level %d: %w", irq, l.Level, err)
	}
	return nil
}

// CreateVCPU is KVM_CREATE_VCPU followed by the mmap of its kvm_run page.
func (vm *VM) CreateVCPU(id int) (*VCPU, error) {
	size, err := vm.sys.VCPUMmapSize()
	if err != nil {
		return nil, err
	}
	if size < int(unsafe.Sizeof(Run{})) {
		return nil, fmt.Errorf("KVM_GET_VCPU_MMAP_SIZE = %d: smaller than struct kvm_run (%d)", size, unsafe.Sizeof(Run{}))
	}
	r, err := ioctl(vm.fd, reqCreateVCPU, uintptr(id))
	if err != nil {
		return nil, fmt.Errorf("KVM_CREATE_VCPU %d: %w", id, err)
	}
	fd := int(r)
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mmap kvm_run of vCPU %d (%d bytes): %w", id, size, err)
	}
	return &VCPU{ID: id, fd: fd, runMem: mem, Run: (*Run)(unsafe.Pointer(&mem[0]))}, nil
}

// VCPU is a virtual CPU file descriptor and its shared kvm_run page.
type VCPU struct {
	ID     int
	fd     int
	runMem []byte
	Run    *Run
}

// RunData returns the whole kvm_run mapping (I/O exit data lives in it at RunIO.DataOffset).
func (c *VCPU) RunData() []byte { return c.runMem }

// Close unmaps kvm_run and closes the vCPU fd.
func (c *VCPU) Close() error {
	err := unix.Munmap(c.runMem)
	if cerr := unix.Close(c.fd); err == nil {
		err = cerr
	}
	return err
}

// RunOnce is KVM_RUN: enter the guest until the next exit to user space. It returns EINTR
// (unwrapped, for the caller to test) when a signal interrupted the guest.
func (c *VCPU) RunOnce() error {
	_, err := ioctlOnce(c.fd, reqRun, 0)
	return err
}

// GetRegs is KVM_GET_REGS.
func (c *VCPU) GetRegs() (Regs, error) {
	var r Regs
	if _, err := ioctl(c.fd, reqGetRegs, uintptr(unsafe.Pointer(&r))); err != nil {
		return r, fmt.Errorf("KVM_GET_REGS vCPU %d: %w", c.ID, err)
	}
	return r, nil
}

// SetRegs is KVM_SET_REGS.
func (c *VCPU) SetRegs(r *Regs) error {
	if _, err := ioctl(c.fd, reqSetRegs, uintptr(unsafe.Pointer(r))); err != nil {
		return fmt.Errorf("KVM_SET_REGS vCPU %d: %w", c.ID, err)
	}
	return nil
}

// GetSregs is KVM_GET_SREGS.
func (c *VCPU) GetSregs() (Sregs, error) {
	var s Sregs
	if _, err := ioctl(c.fd, reqGetSregs, uintptr(unsafe.Pointer(&s))); err != nil {
		return s, fmt.Errorf("KVM_GET_SREGS vCPU %d: %w", c.ID, err)
	}
	return s, nil
}

// SetSregs is KVM_SET_SREGS.
func (c *VCPU) SetSregs(s *Sregs) error {
	if _, err := ioctl(c.fd, reqSetSregs, uintptr(unsafe.Pointer(s))); err != nil {
		return fmt.Errorf("KVM_SET_SREGS vCPU %d: %w", c.ID, err)
	}
	return nil
}

// SetCPUID2 is KVM_SET_CPUID2: the CPUID leaves this vCPU reports.
func (c *VCPU) SetCPUID2(entries []CPUIDEntry2) error {
	if len(entries) > MaxCPUIDEntries {
		return fmt.Errorf("KVM_SET_CPUID2 vCPU %d: %d entries > %d", c.ID, len(entries), MaxCPUIDEntries)
	}
	t := new(cpuid2)
	t.Nent = uint32(len(entries))
	copy(t.Entries[:], entries)
	if _, err := ioctl(c.fd, reqSetCPUID2, uintptr(unsafe.Pointer(t))); err != nil {
		return fmt.Errorf("KVM_SET_CPUID2 vCPU %d (%d entries): %w", c.ID, len(entries), err)
	}
	return nil
}

// SetMSRs is KVM_SET_MSRS; it returns an error unless every MSR was set.
func (c *VCPU) SetMSRs(msrs []MSREntry) error {
	buf := make([]byte, unsafe.Sizeof(msrsHeader{})+uintptr(len(msrs))*unsafe.Sizeof(MSREntry{}))
	h := (*msrsHeader)(unsafe.Pointer(&buf[0]))
	h.Nmsrs = uint32(len(msrs))
	for i, m := range msrs {
		*(*MSREntry)(unsafe.Pointer(&buf[unsafe.Sizeof(msrsHeader{})+uintptr(i)*unsafe.Sizeof(MSREntry{})])) = m
	}
	n, err := ioctl(c.fd, reqSetMSRs, uintptr(unsafe.Pointer(&buf[0])))
	if err != nil {
		return fmt.Errorf("KVM_SET_MSRS vCPU %d: %w", c.ID, err)
	}
	if int(n) != len(msrs) {
		return fmt.Errorf("KVM_SET_MSRS vCPU %d: set %d of %d (first refused: 0x%x)", c.ID, n, len(msrs), msrs[n].Index)
	}
	return nil
}
