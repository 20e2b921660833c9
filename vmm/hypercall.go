package vmm

import (
	"fmt"
	"time"

	"github.com/minictr/minictr/vmm/devices"
)

// Hypercalls: the guest writes the call number (one byte) to PortHypercall, with the
// arguments in RDI and RSI. Port I/O is allowed in ring 3 when RFLAGS.IOPL = 3, so user-mode
// code calls the VMM directly, without a trip through guest ring 0.
const (
	HypercallNop    = 0 // nothing: measures the exit round trip
	HypercallPrint  = 1 // write RSI bytes at guest physical address RDI to the console
	HypercallExit   = 2 // stop the machine with exit status RDI
	HypercallReport = 3 // record the value RDI (Result.Values)

	maxPrint = 1 << 16
)

const hypercallName = "hypercall"

type hypercallDevice struct{ m *Machine }

func (h *hypercallDevice) Name() string                { return hypercallName }
func (h *hypercallDevice) Ports() (uint16, uint16)     { return PortHypercall, 1 }
func (h *hypercallDevice) In(port uint16, data []byte) { fill(data, 0) }

func (h *hypercallDevice) Out(port uint16, data []byte) error {
	m := h.m
	if data[0] == HypercallNop {
		// The hot path: no register read.
		now := time.Now()
		if m.exitStats.Nop == 0 {
			m.exitStats.FirstNop = now
		}
		m.exitStats.LastNop = now
		m.exitStats.Nop++
		return nil
	}
	m.exitStats.Hypercalls++
	r, err := m.cpu.GetRegs()
	if err != nil {
		return err
	}
	switch data[0] {
	case HypercallPrint:
		if r.RSI > maxPrint {
			return fmt.Errorf("print hypercall: length %d > %d", r.RSI, maxPrint)
		}
		b, err := m.GuestSlice(r.RDI, r.RSI)
		if err != nil {
			return fmt.Errorf("print hypercall: %w", err)
		}
		m.console.Write(b)
	case HypercallExit:
		return &devices.ExitRequest{Code: int(r.RDI), By: hypercallName}
	case HypercallReport:
		m.values = append(m.values, r.RDI)
	default:
		return fmt.Errorf("unknown hypercall %d (RDI=0x%x RSI=0x%x)", data[0], r.RDI, r.RSI)
	}
	return nil
}

func fill(data []byte, v byte) {
	for i := range data {
		data[i] = v
	}
}
