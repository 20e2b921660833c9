// Package seccomp compiles the OCI spec's linux.seccomp into a classic-BPF
// seccomp filter and loads it, in pure Go (no libseccomp, no cgo).
//
// Program layout (every path ends in a ret):
//
//	ld arch
//	jeq AUDIT_ARCH_X86_64 -> x86_64 section      (one test per listed arch)
//	jeq AUDIT_ARCH_I386   -> x86 section
//	ret KILL_THREAD                                (an arch not in the filter)
//	x86_64 section:
//	  ld nr; jge 0x40000000 -> x32 section, or KILL_THREAD when x32 is not listed
//	  jeq nr ... -> ret ACTION                     (syscalls with one unconditional action)
//	  ld nr; jeq nr else next syscall              (syscalls with argument conditions:)
//	    arg checks, a failed one jumps to the next rule; ret ACTION   (one block per rule)
//	    ret DEFAULT
//	  ret DEFAULT
//
// Rule semantics (those of runc with libseccomp): several args in one rule
// are ANDed; several rules for one syscall are ORed, the first matching rule
// (in spec order) deciding the action; an unconditional rule for a syscall
// overrides its conditional rules; rules whose action is the default action
// are dropped. Arguments are compared as unsigned 64-bit values on x86_64
// (high and low 32-bit halves checked separately) and as 32-bit values on
// x86 and x32.
package seccomp

import (
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data (little endian).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// retBadArch is what a syscall from an architecture not in the filter gets:
// libseccomp's default bad-arch action, SCMP_ACT_KILL (kill the thread).
const retBadArch = unix.SECCOMP_RET_KILL_THREAD

// actionCode turns a spec action (plus errnoRet) into a SECCOMP_RET_* value.
func actionCode(act specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := func() (uint32, error) {
		if errnoRet == nil {
			return uint32(unix.EPERM), nil
		}
		if *errnoRet > 0xffff {
			return 0, fmt.Errorf("errnoRet %d does not fit in 16 bits", *errnoRet)
		}
		return uint32(*errnoRet), nil
	}
	switch act {
	case specs.ActErrno:
		d, err := data()
		return unix.SECCOMP_RET_ERRNO | d, err
	case specs.ActTrace:
		d, err := data()
		return unix.SECCOMP_RET_TRACE | d, err
	}
	if errnoRet != nil {
		return 0, fmt.Errorf("errnoRet %d is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s", *errnoRet, act)
	}
	switch act {
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case specs.ActNotify:
		return unix.SECCOMP_RET_USER_NOTIF, nil
	}
	return 0, fmt.Errorf("unknown action %q", act)
}

// flagBits maps the spec's flags to seccomp(2) filter flags. TSYNC is always
// used by Load, so naming it changes nothing.
var flagBits = map[specs.LinuxSeccompFlag]uint{
	"SECCOMP_FILTER_FLAG_TSYNC":            unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// rule is one spec rule resolved for one syscall number.
type rule struct {
	ret  uint32
	args []specs.LinuxSeccompArg
}

// plan is what Compile decides before generating code.
type plan struct {
	def    uint32
	arches []*archInfo // native first, then the listed ones, no duplicates
	// per arch: syscall number -> rules, in spec order
	rules map[*archInfo]map[uint32][]rule
	// per arch: the highest syscall number the profile names, and whether
	// syscalls above it get ENOSYS instead of the default action
	maxNr    map[*archInfo]uint32
	enosys   bool
	notify   bool
	flags    uint
	warnings []string
}

func validateArg(a specs.LinuxSeccompArg) error {
	if a.Index > 5 {
		return fmt.Errorf("argument index %d out of range 0..5", a.Index)
	}
	switch a.Op {
	case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual:
		return nil
	}
	return fmt.Errorf("argument %d: unknown operator %q", a.Index, a.Op)
}

func makePlan(s *specs.LinuxSeccomp) (*plan, error) {
	if s == nil {
		return nil, fmt.Errorf("seccomp: no linux.seccomp config")
	}
	p := &plan{rules: map[*archInfo]map[uint32][]rule{}, maxNr: map[*archInfo]uint32{}}
	var err error
	if p.def, err = actionCode(s.DefaultAction, s.DefaultErrnoRet); err != nil {
		return nil, fmt.Errorf("seccomp: defaultAction: %w", err)
	}
	switch s.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
	default:
		p.enosys = true
	}
	if s.DefaultAction == specs.ActNotify {
		return nil, fmt.Errorf("seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the default action (the init could not exec)")
	}
	for i, f := range s.Flags {
		bit, ok := flagBits[f]
		if !ok {
			return nil, fmt.Errorf("seccomp: flags[%d]: unknown flag %q", i, f)
		}
		p.flags |= bit
	}
	native, err := nativeArch()
	if err != nil {
		return nil, err
	}
	p.arches = append(p.arches, native)
	for i, name := range s.Architectures {
		a, ok := lookupArch(name)
		if !ok {
			if knownForeign[name] {
				p.warnings = append(p.warnings, fmt.Sprintf("seccomp: architectures[%d]: %s has no syscall table here and is never seen on this host; ignored", i, name))
				continue
			}
			return nil, fmt.Errorf("seccomp: architectures[%d]: unknown architecture %q", i, name)
		}
		dup := false
		for _, b := range p.arches {
			dup = dup || a == b
		}
		if !dup {
			p.arches = append(p.arches, a)
		}
	}
	for _, a := range p.arches {
		p.rules[a] = map[uint32][]rule{}
	}
	for i, sc := range s.Syscalls {
		where := func() string {
			n := strings.Join(sc.Names, ",")
			if len(n) > 60 {
				n = n[:60] + "..."
			}
			return fmt.Sprintf("seccomp: syscalls[%d] (%s)", i, n)
		}
		ret, err := actionCode(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("%s: action: %w", where(), err)
		}
		for _, a := range sc.Args {
			if err := validateArg(a); err != nil {
				return nil, fmt.Errorf("%s: %w", where(), err)
			}
		}
		if len(sc.Names) == 0 {
			return nil, fmt.Errorf("%s: no syscall names", where())
		}
		if sc.Action == specs.ActNotify {
			p.notify = true
		}
		for _, name := range sc.Names {
			known := false
			for _, a := range p.arches {
				nr, ok := a.table()[name]
				if !ok {
					continue
				}
				known = true
				if max, ok := p.maxNr[a]; !ok || nr > max {
					p.maxNr[a] = nr
				}
				if ret != p.def { // a rule with the default action is a no-op, as in runc
					p.rules[a][nr] = append(p.rules[a][nr], rule{ret: ret, args: sc.Args})
				}
			}
			if !known {
				p.warnings = append(p.warnings, fmt.Sprintf("%s: unknown syscall %q skipped", where(), name))
			}
		}
	}
	// An unconditional rule decides the whole syscall (libseccomp drops the
	// conditional rules of a syscall once it has an unconditional one).
	for _, a := range p.arches {
		for nr, rs := range p.rules[a] {
			for _, r := range rs {
				if len(r.args) == 0 {
					p.rules[a][nr] = []rule{r}
					break
				}
			}
		}
	}
	return p, nil
}

// Compile turns the spec's linux.seccomp into a BPF program. Warnings list
// what was skipped (unknown syscall names, foreign architectures); they are
// not errors, as in runc.
func Compile(s *specs.LinuxSeccomp) (prog []unix.SockFilter, warnings []string, err error) {
	p, err := makePlan(s)
	if err != nil {
		return nil, nil, err
	}
	prog, err = p.generate()
	if err != nil {
		return nil, p.warnings, fmt.Errorf("seccomp: %w", err)
	}
	return prog, p.warnings, nil
}

func (p *plan) has(a *archInfo) bool {
	for _, b := range p.arches {
		if a == b {
			return true
		}
	}
	return false
}

func (p *plan) generate() ([]unix.SockFilter, error) {
	var a asm
	bad := a.newLabel()
	sections := map[*archInfo]label{}
	for _, ar := range p.arches {
		sections[ar] = a.newLabel()
	}
	// x86_64 and x32 share AUDIT_ARCH_X86_64: one entry point for both.
	x64 := a.newLabel()
	badX32 := a.newLabel() // x32 syscalls when x32 is not listed (jumps go forward only)
	a.ld(offArch)
	if p.has(archX86_64) || p.has(archX32) {
		a.jmp(opJeq, unix.AUDIT_ARCH_X86_64, x64, next)
	}
	if p.has(archX86) {
		a.jmp(opJeq, unix.AUDIT_ARCH_I386, sections[archX86], next)
	}
	a.place(bad)
	a.ret(retBadArch)
	if p.has(archX86_64) || p.has(archX32) {
		a.place(x64)
		a.ld(offNr)
		x32 := badX32
		if p.has(archX32) {
			x32 = sections[archX32]
		}
		if p.has(archX86_64) {
			a.jmp(opJge, x32SyscallBit, x32, next)
		} else {
			a.jmp(opJge, x32SyscallBit, x32, badX32)
		}
	}
	if p.has(archX86_64) {
		p.section(&a, archX86_64, fallIn) // right after the x32 test, nr in A
	}
	for _, ar := range p.arches {
		if ar != archX86_64 {
			p.section(&a, ar, sections[ar])
		}
	}
	a.place(badX32)
	a.ret(retBadArch)
	return a.link()
}

// fallIn as a section entry: the code is reached by falling through with the
// syscall number already in A.
const fallIn label = -2

// section emits the rules of one architecture.
func (p *plan) section(a *asm, ar *archInfo, entry label) {
	if entry != fallIn {
		a.place(entry)
		a.ld(offNr)
	}
	rules := p.rules[ar]
	var plain, cond []uint32
	for nr, rs := range rules {
		if len(rs) == 1 && len(rs[0].args) == 0 {
			plain = append(plain, nr)
		} else {
			cond = append(cond, nr)
		}
	}
	// The number line is cut into intervals with one outcome each: a run of
	// consecutive syscalls with the same unconditional action, a syscall
	// with argument rules, a gap (default action), and above the highest
	// syscall the profile names, ENOSYS (as runc does: so that libc falls
	// back to an older call instead of failing on EPERM) unless the default
	// action lets syscalls run. A binary search over the interval starts
	// finds the outcome in log2(intervals) steps.
	sort.Slice(plain, func(i, j int) bool { return plain[i] < plain[j] })
	sort.Slice(cond, func(i, j int) bool { return cond[i] < cond[j] })
	blocks := map[uint32]label{}
	for _, nr := range cond {
		blocks[nr] = a.newLabel()
	}
	var ivs []interval
	add := func(lo uint32, iv interval) {
		iv.lo = lo
		if n := len(ivs); n > 0 && ivs[n-1].lo == lo {
			ivs = ivs[:n-1] // replaced: it covered nothing
		}
		if n := len(ivs); n > 0 && !iv.cond && !ivs[n-1].cond && ivs[n-1].ret == iv.ret {
			return // extends the previous interval
		}
		ivs = append(ivs, iv)
	}
	add(0, interval{ret: p.def})
	all := append(append([]uint32(nil), plain...), cond...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	for _, nr := range all {
		if b, ok := blocks[nr]; ok {
			add(nr, interval{cond: true, block: b})
		} else {
			add(nr, interval{ret: rules[nr][0].ret})
		}
		if nr != ^uint32(0) {
			add(nr+1, interval{ret: p.def})
		}
	}
	if max, ok := p.maxNr[ar]; ok && p.enosys && max != ^uint32(0) {
		// cut at max+1: drop intervals starting above it (none do: max is
		// the highest named syscall) and end with ENOSYS
		for len(ivs) > 0 && ivs[len(ivs)-1].lo > max+1 {
			ivs = ivs[:len(ivs)-1]
		}
		if n := len(ivs); n > 0 && ivs[n-1].lo == max+1 {
			ivs = ivs[:n-1]
		}
		add(max+1, interval{ret: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)})
	}
	searchTree(a, ivs)
	for _, nr := range cond {
		a.place(blocks[nr])
		for _, r := range rules[nr] {
			fail := a.newLabel()
			for _, arg := range r.args {
				cmpArg(a, ar.args, arg, fail)
			}
			a.ret(r.ret)
			a.place(fail)
		}
		a.ret(p.def)
	}
}

// interval is the outcome for syscall numbers from lo up to the next
// interval's lo: a ret, or the rule block of a syscall with conditions.
type interval struct {
	lo    uint32
	ret   uint32
	cond  bool
	block label
}

// searchTree emits a binary search over the sorted intervals for the
// syscall number in A.
func searchTree(a *asm, ivs []interval) {
	if len(ivs) == 1 {
		if ivs[0].cond {
			a.ja(ivs[0].block)
		} else {
			a.ret(ivs[0].ret)
		}
		return
	}
	mid := len(ivs) / 2
	right := a.newLabel()
	a.jmp(opJge, ivs[mid].lo, right, next)
	searchTree(a, ivs[:mid])
	a.place(right)
	searchTree(a, ivs[mid:])
}

// cmpArg emits a test of one argument condition: it falls through when the
// condition holds and jumps to fail when it does not. A is clobbered.
func cmpArg(a *asm, width int, c specs.LinuxSeccompArg, fail label) {
	lo := uint32(offArgs + 8*c.Index)
	hi := lo + 4
	v, v2 := c.Value, c.ValueTwo
	vlo, vhi := uint32(v), uint32(v>>32)
	if width == 32 {
		switch c.Op {
		case specs.OpEqualTo:
			a.ld(lo)
			a.jmp(opJeq, vlo, next, fail)
		case specs.OpNotEqual:
			a.ld(lo)
			a.jmp(opJeq, vlo, fail, next)
		case specs.OpGreaterThan:
			a.ld(lo)
			a.jmp(opJgt, vlo, next, fail)
		case specs.OpGreaterEqual:
			a.ld(lo)
			a.jmp(opJge, vlo, next, fail)
		case specs.OpLessThan:
			a.ld(lo)
			a.jmp(opJge, vlo, fail, next)
		case specs.OpLessEqual:
			a.ld(lo)
			a.jmp(opJgt, vlo, fail, next)
		case specs.OpMaskedEqual:
			a.ld(lo)
			a.and(vlo)
			a.jmp(opJeq, uint32(v2), next, fail)
		}
		return
	}
	ok := a.newLabel()
	switch c.Op {
	case specs.OpEqualTo:
		a.ld(hi)
		a.jmp(opJeq, vhi, next, fail)
		a.ld(lo)
		a.jmp(opJeq, vlo, next, fail)
	case specs.OpNotEqual:
		a.ld(hi)
		a.jmp(opJeq, vhi, next, ok)
		a.ld(lo)
		a.jmp(opJeq, vlo, fail, next)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		a.ld(hi)
		a.jmp(opJgt, vhi, ok, next)
		a.jmp(opJeq, vhi, next, fail)
		a.ld(lo)
		op := uint16(opJgt)
		if c.Op == specs.OpGreaterEqual {
			op = opJge
		}
		a.jmp(op, vlo, next, fail)
	case specs.OpLessThan, specs.OpLessEqual:
		a.ld(hi)
		a.jmp(opJgt, vhi, fail, next)
		a.jmp(opJeq, vhi, next, ok)
		a.ld(lo)
		op := uint16(opJge) // a < v  <=>  !(a >= v)
		if c.Op == specs.OpLessEqual {
			op = opJgt // a <= v  <=>  !(a > v)
		}
		a.jmp(op, vlo, fail, next)
	case specs.OpMaskedEqual:
		a.ld(hi)
		a.and(vhi)
		a.jmp(opJeq, uint32(v2>>32), next, fail)
		a.ld(lo)
		a.and(vlo)
		a.jmp(opJeq, uint32(v2), next, fail)
	}
	a.place(ok)
}
