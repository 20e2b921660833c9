package devices

import (
	"bytes"
	"errors"
	"testing"
)

func TestUARTTransmitAndStatus(t *testing.T) {
	var out bytes.Buffer
	var irqs []bool
	u := &UART8250{Base: COM1, Output: &out, IRQ: func(l bool) { irqs = append(irqs, l) }}
	for _, c := range []byte("hi\n") {
		if err := u.Out(COM1, []byte{c}); err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != "hi\n" {
		t.Fatalf("transmitted %q, want %q", out.String(), "hi\n")
	}
	b := []byte{0}
	u.In(COM1+5, b)
	if b[0]&lsrTHRE == 0 || b[0]&lsrDataReady != 0 {
		t.Fatalf("LSR = %#x: want THRE set and no data ready", b[0])
	}
	u.Feed([]byte("x"))
	u.In(COM1+5, b)
	if b[0]&lsrDataReady == 0 {
		t.Fatalf("LSR = %#x after input: want data ready", b[0])
	}
	// Receive interrupt: enable it, check IIR and the line, read the byte, line drops.
	u.Out(COM1+1, []byte{ierRDA})
	u.In(COM1+2, b)
	if b[0]&0x0f != iirRDA {
		t.Fatalf("IIR = %#x, want received-data interrupt", b[0])
	}
	u.In(COM1, b)
	if b[0] != 'x' {
		t.Fatalf("RBR = %q, want 'x'", b[0])
	}
	if len(irqs) != 2 || !irqs[0] || irqs[1] {
		t.Fatalf("IRQ line changes = %v, want [true false]", irqs)
	}
	// Divisor latch: DLAB routes ports 0 and 1 to DLL/DLM instead of THR/IER.
	u.Out(COM1+3, []byte{lcrDLAB | 3})
	u.Out(COM1, []byte{1})
	u.In(COM1, b)
	if b[0] != 1 || out.Len() != 3 {
		t.Fatalf("DLL = %d (want 1), output %q (want unchanged)", b[0], out.String())
	}
}

func TestResetAndExit(t *testing.T) {
	k := &I8042{}
	if err := k.Out(0x64, []byte{0xfe}); !errors.Is(err, ErrReset) {
		t.Fatalf("i8042 0xfe: %v, want ErrReset", err)
	}
	if err := k.Out(0x64, []byte{0xad}); err != nil {
		t.Fatalf("i8042 0xad: %v, want nil", err)
	}
	d := &DebugExit{Port: DebugExitPort}
	var ex *ExitRequest
	if err := d.Out(DebugExitPort, []byte{7}); !errors.As(err, &ex) || ex.Code != 7 {
		t.Fatalf("debug exit 7: %v", err)
	}
}

// Enabling the THR-empty interrupt raises the line at once (the transmitter is always empty);
// reading IIR acknowledges it; the next transmitted byte raises it again.
func TestUARTTransmitInterrupt(t *testing.T) {
	var line []bool
	u := &UART8250{Base: COM1, IRQ: func(l bool) { line = append(line, l) }}
	u.Out(COM1+1, []byte{ierTHRE})
	b := []byte{0}
	u.In(COM1+2, b)
	if b[0]&0x0f != iirTHRE {
		t.Fatalf("IIR = %#x, want THR empty", b[0])
	}
	u.In(COM1+2, b)
	if b[0]&0x0f != iirNone {
		t.Fatalf("IIR = %#x after acknowledge, want none", b[0])
	}
	u.Out(COM1, []byte{'x'})
	if len(line) != 3 || !line[0] || line[1] || !line[2] {
		t.Fatalf("IRQ line changes = %v, want [true false true]", line)
	}
}
