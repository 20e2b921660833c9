package vmm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/vmm/devices"
	"github.com/minictr/minictr/vmm/kvm"
)

// Result is how a guest run ended.
type Result struct {
	// Reason is why the guest stopped: "hlt", "exit-port", "hypercall-exit", "reset",
	// "shutdown" (a triple fault), "system-event", "output-match", "timeout", "canceled".
	Reason string
	// ExitCode is the status the guest asked for (exit port or exit hypercall), else 0.
	ExitCode int
	// Regs and Sregs are the registers when the guest stopped (Sregs.CS.DPL is the CPL).
	Regs  kvm.Regs
	Sregs kvm.Sregs
	// Values are the values the guest reported through the report hypercall, in order.
	Values   []uint64
	Exits    ExitStats
	Duration time.Duration
}

// ExitError is an unexpected exit: it carries the exit and a register dump.
type ExitError struct {
	What string
	Dump string
}

func (e *ExitError) Error() string { return e.What + "\n" + e.Dump }

// Run enters the guest and handles exits until the guest stops, ctx is done or the timeout
// passes. The vCPU thread is locked for the duration, so that a signal can kick it out of
// KVM_RUN.
func (m *Machine) Run(ctx context.Context) (*Result, error) {
	if m.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.cfg.Timeout)
		defer cancel()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	// The kicker: when ctx ends, ask KVM to return (immediate_exit covers the window before
	// KVM_RUN is entered) and signal the vCPU thread (covers a guest spinning inside KVM_RUN).
	// SIGURG is what the Go runtime already uses for preemption: receiving an extra one is
	// harmless.
	tid := unix.Gettid()
	pid := os.Getpid()
	done := make(chan struct{})
	kicked := make(chan struct{})
	go func() {
		defer close(kicked)
		select {
		case <-done:
		case <-ctx.Done():
			m.cpu.Run.ImmediateExit = 1
			for i := 0; i < 1000; i++ { // bounded: the loop below exits within one signal
				unix.Tgkill(pid, tid, unix.SIGURG)
				select {
				case <-done:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
	}()
	defer func() { close(done); <-kicked }()

	if m.cfg.Input != nil {
		m.inputOnce.Do(func() { go m.feedInput(m.cfg.Input) })
	}
	start := time.Now()
	res, err := m.loop(ctx)
	if res != nil {
		res.Duration = time.Since(start)
		res.Values = m.values
		res.Exits = m.exitStats
		if regs, rerr := m.cpu.GetRegs(); rerr == nil {
			res.Regs = regs
		}
		if sregs, rerr := m.cpu.GetSregs(); rerr == nil {
			res.Sregs = sregs
		}
	}
	return res, err
}

func (m *Machine) loop(ctx context.Context) (*Result, error) {
	run := m.cpu.Run
	data := m.cpu.RunData()
	for {
		if m.console.hit.Load() {
			return &Result{Reason: "output-match"}, nil
		}
		err := m.cpu.RunOnce()
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				m.exitStats.Interrupted++
				run.ImmediateExit = 0
				if ctx.Err() != nil {
					if errors.Is(ctx.Err(), context.DeadlineExceeded) {
						return &Result{Reason: "timeout"}, nil
					}
					return &Result{Reason: "canceled"}, nil
				}
				continue
			}
			return nil, m.unexpected(fmt.Sprintf("KVM_RUN: %v", err))
		}
		m.exitStats.Total++
		reason := run.ExitReason
		switch reason {
		case kvm.ExitIO:
			io := run.IO()
			m.exitStats.IO++
			size, count := uint64(io.Size), uint64(io.Count)
			if size != 1 && size != 2 && size != 4 || io.DataOffset+size*count > uint64(len(data)) {
				return nil, m.unexpected(fmt.Sprintf("I/O exit port 0x%x: bad size %d count %d offset %d", io.Port, size, count, io.DataOffset))
			}
			for i := uint64(0); i < count; i++ {
				buf := data[io.DataOffset+i*size : io.DataOffset+(i+1)*size]
				stop, err := m.portIO(io.Direction, io.Port, buf)
				if stop != nil || err != nil {
					return stop, err
				}
			}
		case kvm.ExitMMIO:
			mm := run.MMIO()
			m.exitStats.MMIO++
			if m.cfg.Trace != nil {
				fmt.Fprintf(m.cfg.Trace, "exit %d: MMIO %s 0x%x len %d (no device: reads as all ones)\n", m.exitStats.Total, rw(mm.IsWrite != 0), mm.PhysAddr, mm.Len)
			}
			if mm.IsWrite == 0 {
				for i := range mm.Data {
					mm.Data[i] = 0xff
				}
			}
		case kvm.ExitHLT:
			m.trace("HLT")
			return &Result{Reason: "hlt"}, nil
		case kvm.ExitShutdown:
			if m.cfg.Trace != nil {
				m.trace("SHUTDOWN (triple fault)\n" + m.DumpRegisters())
			}
			return &Result{Reason: "shutdown"}, nil
		case kvm.ExitSystemEvent:
			se := run.SystemEvent()
			m.trace(fmt.Sprintf("SYSTEM_EVENT type %d", se.Type))
			if se.Type == kvm.SystemEventReset {
				return &Result{Reason: "reset"}, nil
			}
			return &Result{Reason: "system-event"}, nil
		case kvm.ExitIntr:
			continue
		case kvm.ExitInternalError:
			in := run.Internal()
			n := min(in.Ndata, uint32(len(in.Data)))
			return nil, m.unexpected(fmt.Sprintf("KVM_EXIT_INTERNAL_ERROR suberror %d data %x (KVM could not emulate an instruction: on a nested paravirtual KVM some are unsupported in guest kernel mode)", in.Suberror, in.Data[:n]))
		case kvm.ExitFailEntry:
			fe := run.FailEntry()
			return nil, m.unexpected(fmt.Sprintf("KVM_EXIT_FAIL_ENTRY hardware reason 0x%x (invalid guest state)", fe.HardwareEntryFailureReason))
		default:
			return nil, m.unexpected(fmt.Sprintf("unexpected exit KVM_EXIT_%s (%d)", kvm.ExitName(reason), reason))
		}
	}
}

// portIO dispatches one I/O access through the port table.
func (m *Machine) portIO(dir uint8, port uint16, buf []byte) (*Result, error) {
	i := m.ports[port]
	if i == 0 {
		if dir == kvm.ExitIOIn {
			for j := range buf {
				buf[j] = 0xff // an undecoded port floats high
			}
		}
		if m.cfg.Trace != nil {
			fmt.Fprintf(m.cfg.Trace, "exit %d: IO %s port 0x%x size %d (no device)\n", m.exitStats.Total, rw(dir == kvm.ExitIOOut), port, len(buf))
		}
		return nil, nil
	}
	d := m.devs[i-1]
	if dir == kvm.ExitIOIn {
		d.In(port, buf)
		if m.cfg.Trace != nil {
			fmt.Fprintf(m.cfg.Trace, "exit %d: IO in  port 0x%x size %d -> %x (%s)\n", m.exitStats.Total, port, len(buf), buf, d.Name())
		}
		return nil, nil
	}
	if m.cfg.Trace != nil {
		fmt.Fprintf(m.cfg.Trace, "exit %d: IO out port 0x%x size %d <- %x (%s)\n", m.exitStats.Total, port, len(buf), buf, d.Name())
	}
	err := d.Out(port, buf)
	if err == nil {
		return nil, nil
	}
	var ex *devices.ExitRequest
	switch {
	case errors.As(err, &ex):
		reason := "exit-port"
		if ex.By == hypercallName {
			reason = "hypercall-exit"
		}
		return &Result{Reason: reason, ExitCode: ex.Code}, nil
	case errors.Is(err, devices.ErrReset):
		return &Result{Reason: "reset"}, nil
	}
	return nil, m.unexpected(fmt.Sprintf("device %s port 0x%x: %v", d.Name(), port, err))
}

func (m *Machine) trace(what string) {
	if m.cfg.Trace != nil {
		fmt.Fprintf(m.cfg.Trace, "exit %d: %s\n", m.exitStats.Total, what)
	}
}

func rw(write bool) string {
	if write {
		return "write"
	}
	return "read"
}

// unexpected builds an ExitError with a register dump.
func (m *Machine) unexpected(what string) error {
	return &ExitError{What: what, Dump: m.DumpRegisters()}
}

// DumpRegisters formats the vCPU's registers (for unexpected exits and --trace).
func (m *Machine) DumpRegisters() string {
	var b strings.Builder
	r, err := m.cpu.GetRegs()
	if err != nil {
		return err.Error()
	}
	s, err := m.cpu.GetSregs()
	if err != nil {
		return err.Error()
	}
	b.WriteString(FormatRegs(&r))
	seg := func(n string, g kvm.Segment) {
		fmt.Fprintf(&b, "%-3s=%04x base=%016x limit=%08x type=%x dpl=%d p=%d db=%d l=%d g=%d\n", n, g.Selector, g.Base, g.Limit, g.Type, g.DPL, g.Present, g.DB, g.L, g.G)
	}
	seg("CS", s.CS)
	seg("SS", s.SS)
	seg("DS", s.DS)
	seg("TR", s.TR)
	fmt.Fprintf(&b, "GDT=%016x/%04x IDT=%016x/%04x\n", s.GDT.Base, s.GDT.Limit, s.IDT.Base, s.IDT.Limit)
	fmt.Fprintf(&b, "CR0=%016x CR2=%016x CR3=%016x CR4=%016x EFER=%x", s.CR0, s.CR2, s.CR3, s.CR4, s.EFER)
	return b.String()
}

// feedInput copies Input to the UART until it ends. It may outlive Run (a read from a
// terminal cannot be interrupted); it only touches the UART, which stays valid.
func (m *Machine) feedInput(r io.Reader) {
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m.uart.Feed(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// FormatRegs formats the general-purpose registers, RIP and RFLAGS, one line per four.
func FormatRegs(r *kvm.Regs) string {
	return fmt.Sprintf("RIP=%016x RFLAGS=%08x\n", r.RIP, r.RFLAGS) +
		fmt.Sprintf("RAX=%016x RBX=%016x RCX=%016x RDX=%016x\n", r.RAX, r.RBX, r.RCX, r.RDX) +
		fmt.Sprintf("RSI=%016x RDI=%016x RSP=%016x RBP=%016x\n", r.RSI, r.RDI, r.RSP, r.RBP) +
		fmt.Sprintf("R8 =%016x R9 =%016x R10=%016x R11=%016x\n", r.R8, r.R9, r.R10, r.R11) +
		fmt.Sprintf("R12=%016x R13=%016x R14=%016x R15=%016x\n", r.R12, r.R13, r.R14, r.R15)
}
