package vmm

import (
	"context"
	"testing"
	"time"

	"github.com/minictr/minictr/vmm/devices"
	"github.com/minictr/minictr/vmm/guest"
	"github.com/minictr/minictr/vmm/kvm"
)

// benchExits runs a user guest making b.N nop hypercalls and reports the round trip.
func benchExits(b *testing.B, ring0 bool) {
	needKVM(b)
	o := guest.UserOptions{Message: "\n", NoCheck: true}
	if ring0 {
		o.KernelNopExits = uint32(b.N)
	} else {
		o.NopExits = uint32(b.N)
	}
	b.ResetTimer()
	res, err := RunGuest(context.Background(), guest.UserGuest(o), Config{Timeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	if res.Exits.Nop > 1 {
		per := res.Exits.LastNop.Sub(res.Exits.FirstNop) / time.Duration(res.Exits.Nop-1)
		b.ReportMetric(float64(per.Nanoseconds()), "ns/exit")
	}
}

// BenchmarkExitRoundTripRing3: guest ring 3 OUT -> KVM -> our run loop -> back.
func BenchmarkExitRoundTripRing3(b *testing.B) { benchExits(b, false) }

// BenchmarkExitRoundTripRing0: the same from guest kernel mode.
func BenchmarkExitRoundTripRing0(b *testing.B) { benchExits(b, true) }

// BenchmarkHelloLongMode: create a VM, load and run the long-mode hello guest, tear down.
func BenchmarkHelloLongMode(b *testing.B) {
	needKVM(b)
	for i := 0; i < b.N; i++ {
		g, err := guest.Hello(guest.Long, "hello\n")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RunGuest(context.Background(), g, Config{Timeout: time.Minute}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPortDispatch is the VMM's own share of an I/O exit: the port table lookup and the
// device call (here a UART byte and a nop hypercall), without KVM.
func BenchmarkPortDispatch(b *testing.B) {
	m := &Machine{console: &watchWriter{}}
	m.uart = &devices.UART8250{Base: PortUART, Output: m.console}
	if err := m.AddDevice(m.uart); err != nil {
		b.Fatal(err)
	}
	if err := m.AddDevice(&hypercallDevice{m: m}); err != nil {
		b.Fatal(err)
	}
	buf := []byte{'x'}
	nop := []byte{HypercallNop}
	b.Run("uart", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.portIO(kvm.ExitIOOut, PortUART, buf)
		}
	})
	b.Run("nop-hypercall", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.portIO(kvm.ExitIOOut, PortHypercall, nop)
		}
	})
}
