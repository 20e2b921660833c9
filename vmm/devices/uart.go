package devices

import (
	"io"
	"sync"
)

// COM1 is the base port of the first serial port; Linux calls it ttyS0 and uses IRQ 4.
const (
	COM1    = 0x3f8
	COM1IRQ = 4
)

// UART8250 is a 16550A-compatible serial port, enough for Linux's 8250 driver and for our own
// guests: a transmit register that writes through to Out, a receive register fed from Input,
// the line status register, interrupts for "data received" and "transmitter empty", and the
// scratch and divisor registers (kept, otherwise ignored).
//
// Registers (offset from Base; DLAB is bit 7 of LCR):
//
//	0 THR (write) / RBR (read); DLL when DLAB=1
//	1 IER; DLM when DLAB=1
//	2 IIR (read) / FCR (write)
//	3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
type UART8250 struct {
	Base   uint16
	Output io.Writer // guest output; nil discards
	// IRQ, if set, drives the interrupt line (level: true raises it).
	IRQ func(level bool)

	mu          sync.Mutex
	rx          []byte
	ier, lcr    byte
	mcr, scr    byte
	dll, dlm    byte
	threPending bool
	irqLevel    bool
}

const (
	lsrDataReady = 0x01
	lsrTHRE      = 0x20 // transmit holding register empty
	lsrTEMT      = 0x40 // transmitter empty
	ierRDA       = 0x01 // interrupt on received data
	ierTHRE      = 0x02 // interrupt on THR empty
	iirNone      = 0x01
	iirTHRE      = 0x02
	iirRDA       = 0x04
	iirFIFO      = 0xc0
	lcrDLAB      = 0x80
	mcrLoop      = 0x10
)

// Name implements Device.
func (u *UART8250) Name() string { return "uart8250" }

// Ports implements Device.
func (u *UART8250) Ports() (uint16, uint16) { return u.Base, 8 }

// Feed queues input bytes for the guest (called from another goroutine, e.g. reading stdin).
func (u *UART8250) Feed(b []byte) {
	u.mu.Lock()
	u.rx = append(u.rx, b...)
	u.updateIRQ()
	u.mu.Unlock()
}

// In implements Device.
func (u *UART8250) In(port uint16, data []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fill(data, 0)
	var v byte
	switch port - u.Base {
	case 0:
		if u.lcr&lcrDLAB != 0 {
			v = u.dll
		} else if len(u.rx) > 0 {
			v = u.rx[0]
			u.rx = u.rx[1:]
		}
	case 1:
		if u.lcr&lcrDLAB != 0 {
			v = u.dlm
		} else {
			v = u.ier
		}
	case 2:
		v = iirFIFO | u.pendingIIR()
		if v&0x0f == iirTHRE {
			u.threPending = false // reading IIR clears a THRE interrupt
		}
	case 3:
		v = u.lcr
	case 4:
		v = u.mcr
	case 5:
		v = lsrTHRE | lsrTEMT
		if len(u.rx) > 0 {
			v |= lsrDataReady
		}
	case 6:
		// Modem status: with loopback, echo MCR's outputs; otherwise DCD, DSR and CTS set.
		if u.mcr&mcrLoop != 0 {
			v = (u.mcr & 0x0c) << 4
			v |= (u.mcr & 0x01) << 5
			v |= (u.mcr & 0x02) << 3
		} else {
			v = 0xb0
		}
	case 7:
		v = u.scr
	}
	data[0] = v
	u.updateIRQ()
}

// Out implements Device.
func (u *UART8250) Out(port uint16, data []byte) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	v := data[0]
	switch port - u.Base {
	case 0:
		if u.lcr&lcrDLAB != 0 {
			u.dll = v
			break
		}
		if u.mcr&mcrLoop != 0 {
			u.rx = append(u.rx, v)
		} else if u.Output != nil {
			u.Output.Write([]byte{v}) // console errors must not stop the guest
		}
		u.threPending = true
	case 1:
		if u.lcr&lcrDLAB != 0 {
			u.dlm = v
			break
		}
		// Enabling the THRE interrupt raises it at once: the transmitter is always empty.
		if v&ierTHRE != 0 && u.ier&ierTHRE == 0 {
			u.threPending = true
		}
		u.ier = v & 0x0f
	case 2: // FCR: FIFOs are always on and never hold anything back.
	case 3:
		u.lcr = v
	case 4:
		u.mcr = v & 0x1f
	case 7:
		u.scr = v
	}
	u.updateIRQ()
	return nil
}

// pendingIIR is the highest-priority pending interrupt: received data, then THR empty.
func (u *UART8250) pendingIIR() byte {
	switch {
	case u.ier&ierRDA != 0 && len(u.rx) > 0:
		return iirRDA
	case u.ier&ierTHRE != 0 && u.threPending:
		return iirTHRE
	}
	return iirNone
}

func (u *UART8250) updateIRQ() {
	if u.IRQ == nil {
		return
	}
	level := u.pendingIIR() != iirNone
	if level != u.irqLevel {
		u.irqLevel = level
		u.IRQ(level)
	}
}
