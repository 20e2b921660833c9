// Package vmm is minictr's native virtual machine monitor on KVM: guest memory, one vCPU, and
// a run loop that dispatches I/O exits through a dense port table to devices (8250 UART,
// i8042 reset, debug exit port, hypercall port). It runs our own small guests (package
// vmm/guest) and Linux (package vmm/linux); see docs/vmm.md for the memory maps.
//
// The layering, top-down: Machine (this package) -> devices (vmm/devices) -> the ioctl layer
// (vmm/kvm). Nothing here imports the container runtime or the process VM.
package vmm

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/vmm/devices"
	"github.com/minictr/minictr/vmm/kvm"
)

// Config describes a machine.
type Config struct {
	// MemSize is the guest RAM in bytes, mapped at guest physical address 0. At most MaxMem
	// (RAM stays below the 32-bit PCI/APIC hole).
	MemSize uint64
	// Console receives the serial port's output (nil: discarded).
	Console io.Writer
	// Input, if set, is fed to the serial port's receiver (e.g. os.Stdin).
	Input io.Reader
	// Trace, if set, gets one line per VM exit.
	Trace io.Writer
	// IRQChip creates the in-kernel interrupt controllers and PIT (a guest kernel needs them;
	// our hello guests do not, and without them HLT exits to the VMM).
	IRQChip bool
	// Timeout stops the guest after this long (0: no limit).
	Timeout time.Duration
	// StopOnOutput, if set, stops the guest as soon as the console output contains it.
	StopOnOutput string
	// CompatCPUID hides CPU features whose instructions a nested paravirtual KVM cannot
	// emulate in guest kernel mode (CMPXCHG16B, XSAVE/XRSTOR, SMAP's CLAC/STAC), so that a
	// guest kernel picks other code paths instead of ending in KVM_EXIT_INTERNAL_ERROR. (The
	// nested KVM of this project's machines honours CX16 but keeps reporting XSAVE.)
	CompatCPUID bool
}

// MaxMem is the largest MemSize: RAM ends below 3 GiB so that the 32-bit hole for the local
// APIC and IOAPIC (0xfec00000-0xfee00fff) and the TSS pages stays free.
const MaxMem = 3 << 30

// Ports of the machine's fixed devices.
const (
	PortUART      = devices.COM1
	PortI8042     = 0x60
	PortDebugExit = devices.DebugExitPort
	PortHypercall = 0x510
)

// Addresses KVM needs for Intel real-mode support, just below the BIOS area at 4 GiB - 256 KiB
// (where qemu puts them too): outside RAM.
const (
	identityMapAddr = 0xfffbc000
	tssAddr         = 0xfffbd000
)

// Machine is one VM with one vCPU.
type Machine struct {
	cfg  Config
	sys  *kvm.System
	vm   *kvm.VM
	cpu  *kvm.VCPU
	mem  []byte
	uart *devices.UART8250

	devs  []devices.Device
	ports [65536]uint8 // port -> index+1 into devs; 0 = nothing decodes the port

	console   *watchWriter
	inputOnce sync.Once
	vmMu      sync.Mutex // guards vm against the input goroutine's IRQLine after Close
	values    []uint64   // hypercall "report" values
	exitStats ExitStats
}

// ExitStats counts VM exits by kind.
type ExitStats struct {
	Total, IO, MMIO, Hypercalls, Nop uint64
	// Interrupted counts KVM_RUN calls that a signal ended (EINTR) before any exit.
	Interrupted uint64
	// FirstNop and LastNop time the nop hypercalls, to measure the exit round trip.
	FirstNop, LastNop time.Time
}

// New creates the VM: checks the API and capabilities, maps guest memory, creates the vCPU
// with KVM's supported CPUID, and plugs in the standard devices.
func New(cfg Config) (*Machine, error) {
	if cfg.MemSize == 0 || cfg.MemSize%4096 != 0 || cfg.MemSize > MaxMem {
		return nil, fmt.Errorf("guest memory size %d: want a multiple of 4096 between 4096 and %d", cfg.MemSize, uint64(MaxMem))
	}
	m := &Machine{cfg: cfg}
	ok := false
	defer func() {
		if !ok {
			m.Close()
		}
	}()
	var err error
	if m.sys, err = kvm.Open(); err != nil {
		return nil, err
	}
	m.tracef("open %s; KVM_GET_API_VERSION = %d", kvm.DevicePath, kvm.APIVersion)
	need := []int{kvm.CapUserMemory, kvm.CapHLT, kvm.CapImmediateExit}
	if cfg.IRQChip {
		need = append(need, kvm.CapIRQChip, kvm.CapPIT2)
	}
	if err := m.sys.RequireExtensions(need...); err != nil {
		return nil, err
	}
	m.tracef("KVM_CHECK_EXTENSION: %d required capabilities present", len(need))
	if m.vm, err = m.sys.CreateVM(); err != nil {
		return nil, err
	}
	m.tracef("KVM_CREATE_VM")
	// Real-mode helpers for Intel VMX; harmless elsewhere, skipped where KVM lacks them.
	if v, _ := m.sys.CheckExtension(kvm.CapSetIdentityMapAddr); v > 0 {
		if err := m.vm.SetIdentityMapAddr(identityMapAddr); err != nil {
			return nil, err
		}
	}
	if v, _ := m.sys.CheckExtension(kvm.CapSetTSSAddr); v > 0 {
		if err := m.vm.SetTSSAddr(tssAddr); err != nil {
			return nil, err
		}
	}
	if cfg.IRQChip {
		if err := m.vm.CreateIRQChip(); err != nil {
			return nil, err
		}
		if err := m.vm.CreatePIT2(); err != nil {
			return nil, err
		}
		m.tracef("KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2")
	}
	m.mem, err = unix.Mmap(-1, 0, int(cfg.MemSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("mmap guest memory (%d bytes): %w", cfg.MemSize, err)
	}
	region := kvm.UserspaceMemoryRegion{
		Slot:          0,
		GuestPhysAddr: 0,
		MemorySize:    cfg.MemSize,
		UserspaceAddr: uint64(uintptrOf(m.mem)),
	}
	if err := m.vm.SetUserMemoryRegion(&region); err != nil {
		return nil, err
	}
	m.tracef("mmap %d KiB; KVM_SET_USER_MEMORY_REGION slot 0: guest 0x0 -> host %#x", cfg.MemSize>>10, region.UserspaceAddr)
	if m.cpu, err = m.vm.CreateVCPU(0); err != nil {
		return nil, err
	}
	m.tracef("KVM_CREATE_VCPU 0; mmap its kvm_run (%d bytes)", len(m.cpu.RunData()))
	cpuid, err := m.sys.SupportedCPUID()
	if err != nil {
		return nil, err
	}
	if cfg.CompatCPUID {
		compatCPUID(cpuid)
	}
	if err := m.cpu.SetCPUID2(cpuid); err != nil {
		return nil, err
	}
	m.tracef("KVM_GET_SUPPORTED_CPUID -> KVM_SET_CPUID2 (%d leaves)", len(cpuid))

	m.console = &watchWriter{w: cfg.Console, stop: []byte(cfg.StopOnOutput)}
	m.uart = &devices.UART8250{Base: PortUART, Output: m.console}
	if cfg.IRQChip {
		m.uart.IRQ = func(level bool) {
			// Input can arrive from another goroutine after Close: never use a closed fd.
			m.vmMu.Lock()
			defer m.vmMu.Unlock()
			if m.vm != nil {
				m.vm.IRQLine(devices.COM1IRQ, level)
			}
		}
	}
	for _, d := range []devices.Device{m.uart, &devices.I8042{}, &devices.DebugExit{Port: PortDebugExit}, &hypercallDevice{m: m}} {
		if err := m.AddDevice(d); err != nil {
			return nil, err
		}
	}
	ok = true
	return m, nil
}

// AddDevice plugs a device into the port table; ports already taken are an error.
func (m *Machine) AddDevice(d devices.Device) error {
	base, n := d.Ports()
	if int(base)+int(n) > len(m.ports) || len(m.devs) >= 255 {
		return fmt.Errorf("add device %s at ports 0x%x+%d: out of range", d.Name(), base, n)
	}
	for p := int(base); p < int(base)+int(n); p++ {
		if i := m.ports[p]; i != 0 {
			return fmt.Errorf("add device %s: port 0x%x already used by %s", d.Name(), p, m.devs[i-1].Name())
		}
	}
	m.devs = append(m.devs, d)
	for p := int(base); p < int(base)+int(n); p++ {
		m.ports[p] = uint8(len(m.devs))
	}
	return nil
}

// Memory is guest physical memory [0, MemSize).
func (m *Machine) Memory() []byte { return m.mem }

// VCPU is the machine's only vCPU (for loaders that set registers).
func (m *Machine) VCPU() *kvm.VCPU { return m.cpu }

// UART is the serial console, for feeding input.
func (m *Machine) UART() *devices.UART8250 { return m.uart }

// Close releases the vCPU, VM, memory and /dev/kvm.
func (m *Machine) Close() error {
	var errs []error
	if m.cpu != nil {
		errs = append(errs, m.cpu.Close())
		m.cpu = nil
	}
	if m.mem != nil {
		errs = append(errs, unix.Munmap(m.mem))
		m.mem = nil
	}
	m.vmMu.Lock()
	if m.vm != nil {
		errs = append(errs, m.vm.Close())
		m.vm = nil
	}
	m.vmMu.Unlock()
	if m.sys != nil {
		errs = append(errs, m.sys.Close())
		m.sys = nil
	}
	return errors.Join(errs...)
}

// GuestSlice returns guest memory [addr, addr+n), or an error naming the range when it is
// outside RAM (guest-provided addresses never panic the host).
func (m *Machine) GuestSlice(addr, n uint64) ([]byte, error) {
	if addr > uint64(len(m.mem)) || n > uint64(len(m.mem))-addr {
		return nil, fmt.Errorf("guest range 0x%x+0x%x outside guest memory (0x%x bytes)", addr, n, len(m.mem))
	}
	return m.mem[addr : addr+n], nil
}

// compatCPUID clears the feature bits listed at Config.CompatCPUID.
func compatCPUID(entries []kvm.CPUIDEntry2) {
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Function == 1:
			e.ECX &^= 1<<13 | 1<<26 | 1<<27 // CX16, XSAVE, OSXSAVE
		case e.Function == 7 && e.Index == 0:
			e.EBX &^= 1 << 20 // SMAP
		}
	}
}

func (m *Machine) tracef(format string, args ...any) {
	if m.cfg.Trace != nil {
		fmt.Fprintf(m.cfg.Trace, "kvm: "+format+"\n", args...)
	}
}
