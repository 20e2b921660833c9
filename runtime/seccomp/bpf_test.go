package seccomp

import (
	"encoding/binary"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// input is a struct seccomp_data as the kernel hands it to a filter.
type input struct {
	nr   uint32
	arch uint32
	ip   uint64
	args [6]uint64
}

func (in input) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], in.nr)
	binary.LittleEndian.PutUint32(b[4:], in.arch)
	binary.LittleEndian.PutUint64(b[8:], in.ip)
	for i, a := range in.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// runBPF is a classic-BPF interpreter for seccomp filters. It checks what the
// kernel's verifier checks for the instructions we emit (aligned 32-bit
// loads inside seccomp_data, jumps inside the program, a ret at the end) and
// rejects every other opcode.
func runBPF(prog []unix.SockFilter, in input) (uint32, error) {
	r, _, err := runBPFSteps(prog, in)
	return r, err
}

// runBPFSteps also returns the number of instructions executed.
func runBPFSteps(prog []unix.SockFilter, in input) (uint32, int, error) {
	r, steps, err := interp(prog, in)
	return r, steps, err
}

func interp(prog []unix.SockFilter, in input) (ret uint32, steps int, err error) {
	defer func() {
		if err != nil {
			ret = 0
		}
	}()
	if len(prog) == 0 || len(prog) > maxInsns {
		return 0, steps, fmt.Errorf("bad program length %d", len(prog))
	}
	if prog[len(prog)-1].Code != opRet {
		return 0, steps, fmt.Errorf("program does not end in ret")
	}
	data := in.bytes()
	var acc uint32
	for pc := 0; pc < len(prog); steps++ {
		if steps > len(prog) {
			return 0, steps, fmt.Errorf("loop")
		}
		ins := prog[pc]
		jump := func(cond bool) error {
			off := int(ins.Jf)
			if cond {
				off = int(ins.Jt)
			}
			pc += 1 + off
			if pc >= len(prog) {
				return fmt.Errorf("jump out of program at %d", pc)
			}
			return nil
		}
		var err error
		switch ins.Code {
		case opLdW:
			if ins.K%4 != 0 || ins.K+4 > 64 {
				return 0, steps, fmt.Errorf("bad load offset %d at %d", ins.K, pc)
			}
			acc = binary.LittleEndian.Uint32(data[ins.K:])
			pc++
		case opAnd:
			acc &= ins.K
			pc++
		case opJeq:
			err = jump(acc == ins.K)
		case opJgt:
			err = jump(acc > ins.K)
		case opJge:
			err = jump(acc >= ins.K)
		case opJset:
			err = jump(acc&ins.K != 0)
		case opJa:
			pc += 1 + int(ins.K)
			if pc >= len(prog) {
				return 0, steps, fmt.Errorf("ja out of program")
			}
		case opRet:
			return ins.K, steps + 1, nil
		default:
			return 0, steps, fmt.Errorf("unexpected opcode %#x at %d", ins.Code, pc)
		}
		if err != nil {
			return 0, steps, err
		}
	}
	return 0, steps, fmt.Errorf("fell off the end")
}

// oracle computes, straight from the spec, what the filter must answer. It
// is written independently of the code generator, to check it.
func oracle(s *specs.LinuxSeccomp, in input) uint32 {
	def, _ := actionCode(s.DefaultAction, s.DefaultErrnoRet)
	listed := map[specs.Arch]bool{specs.ArchX86_64: true}
	for _, a := range s.Architectures {
		listed[a] = true
	}
	var arch specs.Arch
	switch {
	case in.arch == unix.AUDIT_ARCH_X86_64 && in.nr&x32SyscallBit != 0:
		arch = specs.ArchX32
	case in.arch == unix.AUDIT_ARCH_X86_64:
		arch = specs.ArchX86_64
	case in.arch == unix.AUDIT_ARCH_I386:
		arch = specs.ArchX86
	}
	if arch == "" || !listed[arch] {
		return unix.SECCOMP_RET_KILL_THREAD
	}
	info, _ := lookupArch(arch)
	// runc's rule: syscalls above the highest one the profile names get ENOSYS
	// unless the default action lets syscalls run
	if s.DefaultAction != specs.ActAllow && s.DefaultAction != specs.ActLog && s.DefaultAction != specs.ActTrace {
		max, named := uint32(0), false
		for _, sc := range s.Syscalls {
			for _, n := range sc.Names {
				if nr, ok := info.table()[n]; ok && (!named || nr > max) {
					max, named = nr, true
				}
			}
		}
		if named && in.nr > max {
			return unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
		}
	}
	var cond []specs.LinuxSyscall
	for _, sc := range s.Syscalls {
		ret, _ := actionCode(sc.Action, sc.ErrnoRet)
		if ret == def {
			continue
		}
		match := false
		for _, n := range sc.Names {
			if nr, ok := info.table()[n]; ok && nr == in.nr {
				match = true
			}
		}
		if !match {
			continue
		}
		if len(sc.Args) == 0 {
			return ret
		}
		cond = append(cond, sc)
	}
	for _, sc := range cond {
		all := true
		for _, a := range sc.Args {
			v := in.args[a.Index]
			val, val2 := a.Value, a.ValueTwo
			if info.args == 32 {
				v, val, val2 = uint64(uint32(v)), uint64(uint32(val)), uint64(uint32(val2))
			}
			var ok bool
			switch a.Op {
			case specs.OpEqualTo:
				ok = v == val
			case specs.OpNotEqual:
				ok = v != val
			case specs.OpLessThan:
				ok = v < val
			case specs.OpLessEqual:
				ok = v <= val
			case specs.OpGreaterThan:
				ok = v > val
			case specs.OpGreaterEqual:
				ok = v >= val
			case specs.OpMaskedEqual:
				ok = v&val == val2
			}
			all = all && ok
		}
		if all {
			ret, _ := actionCode(sc.Action, sc.ErrnoRet)
			return ret
		}
	}
	return def
}
