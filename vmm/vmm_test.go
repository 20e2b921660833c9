package vmm

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minictr/minictr/vmm/guest"
	"github.com/minictr/minictr/vmm/kvm"
)

func needKVM(t testing.TB) {
	t.Helper()
	if err := kvm.Available(); err != nil {
		t.Skipf("no usable %s: %v", kvm.DevicePath, err)
	}
}

func TestHelloGuests(t *testing.T) {
	needKVM(t)
	for _, mode := range []guest.Mode{guest.Real, guest.Protected, guest.Long} {
		t.Run(string(mode), func(t *testing.T) {
			msg := "hello from " + string(mode) + " mode\n"
			g, err := guest.Hello(mode, msg)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			res, err := RunGuest(context.Background(), g, Config{Console: &out, Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != msg {
				t.Errorf("console = %q, want %q", out.String(), msg)
			}
			if res.Exits.IO != uint64(len(msg)) {
				t.Errorf("I/O exits = %d, want one per byte (%d)", res.Exits.IO, len(msg))
			}
		})
	}
}

func TestUserGuest(t *testing.T) {
	needKVM(t)
	var out bytes.Buffer
	g := guest.UserGuest(guest.UserOptions{Iterations: 1_000_000, NopExits: 100, Message: "ring 3 done\n"})
	res, err := RunGuest(context.Background(), g, Config{Console: &out, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "ring 3 done\n" {
		t.Errorf("console = %q", out.String())
	}
	if res.Sregs.CS.DPL != 3 || res.Sregs.CS.Selector != 0x2b {
		t.Errorf("stopped with CS %#x DPL %d: the workload did not run in ring 3", res.Sregs.CS.Selector, res.Sregs.CS.DPL)
	}
	if res.Exits.Nop != 100 {
		t.Errorf("nop hypercalls = %d, want 100", res.Exits.Nop)
	}
	// The same with the nop hypercalls made in ring 0, before the drop to ring 3.
	g = guest.UserGuest(guest.UserOptions{Iterations: 10, KernelNopExits: 50, Message: "k\n"})
	if res, err = RunGuest(context.Background(), g, Config{Timeout: 60 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if res.Exits.Nop != 50 {
		t.Errorf("ring-0 nop hypercalls = %d, want 50", res.Exits.Nop)
	}
}

// A guest spinning forever is stopped by the timeout.
func TestTimeout(t *testing.T) {
	needKVM(t)
	g, err := guest.Hello(guest.Long, "")
	if err != nil {
		t.Fatal(err)
	}
	g.Chunks[0].Data = []byte{0xeb, 0xfe} // jmp $
	m, err := New(Config{MemSize: guest.MemSize, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := g.Load(m.Memory()); err != nil {
		t.Fatal(err)
	}
	if err := g.Setup(m.VCPU()); err != nil {
		t.Fatal(err)
	}
	res, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != "timeout" {
		t.Fatalf("reason = %s, want timeout", res.Reason)
	}
}

// An unknown hypercall is an unexpected exit with a register dump.
func TestUnexpectedExitDumpsRegisters(t *testing.T) {
	needKVM(t)
	g, err := guest.Hello(guest.Long, "")
	if err != nil {
		t.Fatal(err)
	}
	// mov edx, 0x510; mov al, 0x77; out dx, al
	g.Chunks[0].Data = []byte{0xba, 0x10, 0x05, 0, 0, 0xb0, 0x77, 0xee, 0xf4}
	_, err = RunGuest(context.Background(), g, Config{Timeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "unknown hypercall 119") || !strings.Contains(err.Error(), "RIP=") {
		t.Fatalf("err = %v, want unknown hypercall with a register dump", err)
	}
}

// Serial input reaches the guest: the echo guest copies it back to the console.
func TestSerialInputEcho(t *testing.T) {
	needKVM(t)
	var out bytes.Buffer
	res, err := RunGuest(context.Background(), guest.Echo(), Config{Console: &out, Input: strings.NewReader("typed\n"), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "typed\n" || res.Reason != "hlt" {
		t.Fatalf("console %q, stopped by %s", out.String(), res.Reason)
	}
}

// A fault with no IDT becomes a triple fault: the machine stops cleanly with "shutdown".
func TestTripleFault(t *testing.T) {
	needKVM(t)
	g, err := guest.Hello(guest.Protected, "")
	if err != nil {
		t.Fatal(err)
	}
	g.Chunks[0].Data = []byte{0x0f, 0x0b} // ud2: #UD, no IDT -> #GP -> #DF -> shutdown
	var trace bytes.Buffer
	m, err := New(Config{MemSize: guest.MemSize, Timeout: 30 * time.Second, Trace: &trace})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := g.Load(m.Memory()); err != nil {
		t.Fatal(err)
	}
	if err := g.Setup(m.VCPU()); err != nil {
		t.Fatal(err)
	}
	res, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != "shutdown" || !strings.Contains(trace.String(), "RIP=") {
		t.Fatalf("reason %s, trace %q", res.Reason, trace.String())
	}
}

// The reset line of the i8042 and the debug exit port stop the machine with their reasons.
func TestResetAndExitPort(t *testing.T) {
	needKVM(t)
	for _, c := range []struct {
		name   string
		code   []byte
		reason string
		status int
	}{
		{"i8042 reset", []byte{0xb0, 0xfe, 0xe6, 0x64, 0xf4}, "reset", 0},   // mov al, 0xfe; out 0x64, al; hlt
		{"exit port", []byte{0xb0, 0x05, 0xe6, 0xf4, 0xf4}, "exit-port", 5}, // mov al, 5; out 0xf4, al; hlt
	} {
		g, err := guest.Hello(guest.Long, "")
		if err != nil {
			t.Fatal(err)
		}
		g.Chunks[0].Data = c.code
		m, err := New(Config{MemSize: guest.MemSize, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		g.Load(m.Memory())
		if err := g.Setup(m.VCPU()); err != nil {
			t.Fatal(err)
		}
		res, err := m.Run(context.Background())
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != c.reason || res.ExitCode != c.status {
			t.Errorf("%s: stopped by %s status %d, want %s %d", c.name, res.Reason, res.ExitCode, c.reason, c.status)
		}
	}
}
