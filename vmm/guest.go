package vmm

import (
	"context"
	"fmt"

	"github.com/minictr/minictr/vmm/guest"
)

// RunGuest boots one of our generated guests on a fresh machine and checks what it left: RAX
// for the hello guests, the reported values for the user guest. cfg.MemSize defaults to
// guest.MemSize.
func RunGuest(ctx context.Context, g *guest.Guest, cfg Config) (*Result, error) {
	if cfg.MemSize == 0 {
		cfg.MemSize = guest.MemSize
	}
	m, err := New(cfg)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if err := g.Load(m.Memory()); err != nil {
		return nil, err
	}
	if err := g.Setup(m.VCPU()); err != nil {
		return nil, fmt.Errorf("set up guest %s: %w", g.Name, err)
	}
	if s, err := m.VCPU().GetSregs(); err == nil {
		m.tracef("loaded %s; KVM_SET_SREGS CR0=%#x CR4=%#x EFER=%#x CS=%#x (L=%d D=%d DPL=%d); KVM_SET_REGS RIP=%#x", g.Name, s.CR0, s.CR4, s.EFER, s.CS.Selector, s.CS.L, s.CS.DB, s.CS.DPL, g.Regs.RIP)
	}
	m.tracef("KVM_RUN loop")
	res, err := m.Run(ctx)
	if err != nil {
		return res, fmt.Errorf("run guest %s: %w", g.Name, err)
	}
	return res, Check(g, res)
}

// Check compares a finished guest's state with what the guest is built to leave.
func Check(g *guest.Guest, res *Result) error {
	switch g.Mode {
	case guest.User:
		if res.Reason != "hypercall-exit" || res.ExitCode != 0 {
			return fmt.Errorf("guest %s stopped by %s (status %d), want the exit hypercall with status 0", g.Name, res.Reason, res.ExitCode)
		}
		if g.WantValues != nil && fmt.Sprint(res.Values) != fmt.Sprint(g.WantValues) {
			return fmt.Errorf("guest %s reported %#x, want %#x", g.Name, res.Values, g.WantValues)
		}
	default:
		if res.Reason != "hlt" {
			return fmt.Errorf("guest %s stopped by %s, want hlt", g.Name, res.Reason)
		}
		if res.Regs.RAX != g.WantRAX {
			return fmt.Errorf("guest %s left RAX = %#x, want %#x", g.Name, res.Regs.RAX, g.WantRAX)
		}
	}
	return nil
}
