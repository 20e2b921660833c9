package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// A tiny classic-BPF assembler with symbolic labels.
//
// Classic BPF only jumps forward, and a conditional jump reaches at most 255
// instructions ahead (jt and jf are 8-bit offsets). The code generator never
// thinks about distances: it jumps to labels, and link() inserts an
// unconditional "ja" trampoline (32-bit offset) right after every
// conditional jump whose target is too far, repeating until every offset fits.

const (
	opLdW  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	opAnd  = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	opJeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	opJgt  = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	opJge  = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	opJset = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	opJa   = unix.BPF_JMP | unix.BPF_JA
	opRet  = unix.BPF_RET | unix.BPF_K

	maxInsns = unix.BPF_MAXINSNS // the kernel's limit for one filter
)

// label names a position in the program; next means "the following instruction".
type label int

const next label = -1

type insn struct {
	code   uint16
	k      uint32
	jt, jf label // conditional jumps: targets; opJa: jt is the target
}

type asm struct {
	ins    []insn
	labels []int // label -> index in ins of the instruction it precedes; -1 until placed
}

func (a *asm) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

func (a *asm) place(l label) { a.labels[l] = len(a.ins) }

func (a *asm) ld(off uint32) { a.ins = append(a.ins, insn{code: opLdW, k: off}) }
func (a *asm) and(k uint32)  { a.ins = append(a.ins, insn{code: opAnd, k: k}) }
func (a *asm) ret(k uint32)  { a.ins = append(a.ins, insn{code: opRet, k: k}) }
func (a *asm) ja(l label)    { a.ins = append(a.ins, insn{code: opJa, jt: l}) }
func (a *asm) jmp(code uint16, k uint32, jt, jf label) {
	a.ins = append(a.ins, insn{code: code, k: k, jt: jt, jf: jf})
}

func isCond(code uint16) bool {
	return code&0x07 == unix.BPF_JMP && code != opJa
}

// link resolves labels, adds trampolines where needed and returns the program.
func (a *asm) link() ([]unix.SockFilter, error) {
	n := len(a.ins)
	target := func(i int, l label) (int, error) {
		if l == next {
			return i + 1, nil
		}
		p := a.labels[l]
		if p < 0 || p >= n {
			return 0, fmt.Errorf("internal error: label %d not placed before an instruction", l)
		}
		if p <= i {
			return 0, fmt.Errorf("internal error: backward jump from %d to %d", i, p)
		}
		return p, nil
	}
	farT := make([]bool, n)
	farF := make([]bool, n)
	pos := make([]int, n+1)
	for pass := 0; ; pass++ {
		p := 0
		for i := range a.ins {
			pos[i] = p
			p++
			if farT[i] {
				p++
			}
			if farF[i] {
				p++
			}
		}
		pos[n] = p
		if p > maxInsns {
			return nil, fmt.Errorf("the filter needs %d instructions, the kernel allows %d", p, maxInsns)
		}
		changed := false
		for i, in := range a.ins {
			if !isCond(in.code) {
				continue
			}
			t, err := target(i, in.jt)
			if err != nil {
				return nil, err
			}
			f, err := target(i, in.jf)
			if err != nil {
				return nil, err
			}
			base := pos[i] + 1
			if !farT[i] && pos[t]-base > 255 {
				farT[i], changed = true, true
			}
			if !farF[i] && pos[f]-base > 255 {
				farF[i], changed = true, true
			}
		}
		if !changed {
			break
		}
		if pass > n {
			return nil, fmt.Errorf("internal error: jump relaxation does not converge")
		}
	}
	out := make([]unix.SockFilter, 0, pos[n])
	for i, in := range a.ins {
		switch {
		case in.code == opJa:
			t, err := target(i, in.jt)
			if err != nil {
				return nil, err
			}
			out = append(out, unix.SockFilter{Code: opJa, K: uint32(pos[t] - (pos[i] + 1))})
		case isCond(in.code):
			t, _ := target(i, in.jt)
			f, _ := target(i, in.jf)
			base := pos[i] + 1
			var jt, jf int
			tramp := 0
			if farT[i] {
				jt = tramp
				tramp++
			} else {
				jt = pos[t] - base
			}
			if farF[i] {
				jf = tramp
			} else {
				jf = pos[f] - base
			}
			out = append(out, unix.SockFilter{Code: in.code, Jt: uint8(jt), Jf: uint8(jf), K: in.k})
			if farT[i] {
				out = append(out, unix.SockFilter{Code: opJa, K: uint32(pos[t] - len(out) - 1)})
			}
			if farF[i] {
				out = append(out, unix.SockFilter{Code: opJa, K: uint32(pos[f] - len(out) - 1)})
			}
		default:
			out = append(out, unix.SockFilter{Code: in.code, K: in.k})
		}
	}
	return out, nil
}
