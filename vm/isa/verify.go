package isa

import (
	"fmt"
	"math"
)

// VerifyError names the function and pc of the first problem found.
type VerifyError struct {
	Func string
	PC   int
	Msg  string
}

func (e *VerifyError) Error() string {
	if e.PC < 0 {
		return fmt.Sprintf("verify: %s: %s", e.Func, e.Msg)
	}
	return fmt.Sprintf("verify: function %s pc %d: %s", e.Func, e.PC, e.Msg)
}

// Verify checks a module before anything runs: table references, register indices against
// each function's frame size, constant kinds, type kinds, jump targets (never into the operand
// words of a multi-word instruction) and call footprints. It also fills Type.NumN/NumR.
func Verify(m *Module) error {
	bad := func(where, format string, args ...any) error {
		return &VerifyError{Func: where, PC: -1, Msg: fmt.Sprintf(format, args...)}
	}
	if m.NGlobals < 0 || m.NGlobals > MaxGlobals {
		return bad("module", "globals count %d out of range", m.NGlobals)
	}
	if len(m.Funcs) == 0 {
		return bad("module", "no functions")
	}
	if m.Entry < 0 || m.Entry >= len(m.Funcs) {
		return bad("module", "entry function %d out of range (have %d)", m.Entry, len(m.Funcs))
	}
	if m.Funcs[m.Entry].NParams != 0 || m.Funcs[m.Entry].NCaps != 0 {
		return bad("module", "entry function %s takes parameters", m.Funcs[m.Entry].Name)
	}
	nt := len(m.Types)
	typeOK := func(t int) bool { return t >= 0 && t < nt }
	for i := range m.Types {
		t := &m.Types[i]
		where := fmt.Sprintf("type %d (%s)", i, t.Name)
		if t.Kind == KInvalid || t.Kind >= NumKinds {
			return bad(where, "bad kind %d", t.Kind)
		}
		switch t.Kind {
		case KSlice, KPointer, KChan:
			if !typeOK(t.Elem) {
				return bad(where, "element type %d out of range", t.Elem)
			}
		case KArray:
			if !typeOK(t.Elem) || t.Len < 0 || t.Len > MaxArrayLen {
				return bad(where, "bad array element %d or length %d", t.Elem, t.Len)
			}
		case KMap:
			if !typeOK(t.Elem) || !typeOK(t.Key) {
				return bad(where, "bad map key %d or value %d", t.Key, t.Elem)
			}
		}
		t.NumN, t.NumR = 0, 0
		for j, f := range t.Fields {
			if t.Kind != KStruct {
				return bad(where, "fields on a %s", t.Kind)
			}
			if !typeOK(f.Type) {
				return bad(where, "field %d type %d out of range", j, f.Type)
			}
			if f.Ref != m.Types[f.Type].Kind.IsRef() {
				return bad(where, "field %s: reference flag does not match its type", f.Name)
			}
			if f.Ref {
				if f.Index != t.NumR {
					return bad(where, "field %s: reference index %d, want %d", f.Name, f.Index, t.NumR)
				}
				t.NumR++
			} else {
				if f.Index != t.NumN {
					return bad(where, "field %s: scalar index %d, want %d", f.Name, f.Index, t.NumN)
				}
				t.NumN++
			}
		}
		for _, me := range t.Methods {
			if me.Name < 0 || me.Name >= len(m.MethodNames) || me.Func < 0 || me.Func >= len(m.Funcs) {
				return bad(where, "bad method entry %+v", me)
			}
			if m.Funcs[me.Func].NParams < 1 {
				return bad(where, "method %s: function %s has no receiver", m.MethodNames[me.Name], m.Funcs[me.Func].Name)
			}
		}
		for _, x := range t.IMeths {
			if x < 0 || x >= len(m.MethodNames) {
				return bad(where, "bad interface method %d", x)
			}
		}
	}
	if m.ErrorType != -1 && (!typeOK(m.ErrorType) || m.Types[m.ErrorType].Kind != KStruct ||
		m.Types[m.ErrorType].NumR < 1 || m.Types[m.ErrorType].Fields[0].Ref == false) {
		return bad("module", "bad runtime error type %d", m.ErrorType)
	}
	for i, h := range m.Hosts {
		if h.NArgs < 0 || h.NArgs > 255 || h.NResult < 0 || h.NResult > 255 {
			return bad(fmt.Sprintf("host %d (%s)", i, h.Name), "bad footprint")
		}
	}
	for fi := range m.Funcs {
		if err := verifyFunc(m, fi); err != nil {
			return err
		}
	}
	return nil
}

func verifyFunc(m *Module, fi int) error {
	f := &m.Funcs[fi]
	name := f.Name
	if name == "" {
		name = fmt.Sprintf("#%d", fi)
	}
	fail := func(pc int, format string, args ...any) error {
		return &VerifyError{Func: name, PC: pc, Msg: fmt.Sprintf(format, args...)}
	}
	if f.NRegs < 0 || f.NRegs > MaxRegs || f.NParams < 0 || f.NParams > f.NRegs ||
		f.NResults < 0 || f.NResults > f.NRegs || f.NCaps < 0 || f.NCaps > 255 {
		return fail(-1, "bad frame: %d registers, %d params, %d results, %d captures", f.NRegs, f.NParams, f.NResults, f.NCaps)
	}
	n := len(f.Code)
	if n == 0 {
		return fail(-1, "empty code")
	}
	if len(f.Lines) != n {
		return fail(-1, "line table has %d entries for %d instructions", len(f.Lines), n)
	}
	if f.Epilogue < -1 || f.Epilogue >= n {
		return fail(-1, "epilogue %d out of range", f.Epilogue)
	}
	// Pass 1: mark operand words (not valid jump targets or instruction starts).
	operand := make([]bool, n)
	for pc := 0; pc < n; pc++ {
		ins := f.Code[pc]
		op := GetOp(ins)
		extra := 0
		switch op {
		case MKSLICE:
			extra = 1
		case CLOSURE:
			fn := int(GetBx(ins))
			if fn >= len(m.Funcs) {
				return fail(pc, "CLOSURE of function %d out of range", fn)
			}
			extra = m.Funcs[fn].NCaps
		case SELECT:
			extra = int(GetB(ins))
		}
		if pc+extra >= n && extra > 0 {
			return fail(pc, "%s operand words run past the end", op)
		}
		for k := 1; k <= extra; k++ {
			operand[pc+k] = true
			w := GetOp(f.Code[pc+k])
			switch op {
			case MKSLICE:
				if w != EXTRA {
					return fail(pc+k, "MKSLICE must be followed by EXTRA, found %s", w)
				}
			case CLOSURE:
				if w != CAPREG && w != CAPUP {
					return fail(pc+k, "CLOSURE capture word must be CAPREG or CAPUP, found %s", w)
				}
			case SELECT:
				if w != SELCASE {
					return fail(pc+k, "SELECT case word must be SELCASE, found %s", w)
				}
			}
		}
		pc += extra
	}
	reg := func(pc int, r int, what string) error {
		if r < 0 || r >= f.NRegs {
			return fail(pc, "register %s=%d out of frame (%d registers)", what, r, f.NRegs)
		}
		return nil
	}
	target := func(pc, t int) error {
		if t < 0 || t >= n || operand[t] {
			return fail(pc, "jump target %d invalid", t)
		}
		return nil
	}
	last := GetOp(f.Code[n-1])
	if last != RET && last != JMP && last != PANIC && !operand[n-1] {
		return fail(n-1, "code may run past its end (last instruction %s)", last)
	}
	for pc := 0; pc < n; pc++ {
		ins := f.Code[pc]
		op := GetOp(ins)
		if op >= NumOps {
			return fail(pc, "unknown opcode %d", uint8(op))
		}
		info := &Ops[op]
		if operand[pc] {
			continue
		}
		switch op {
		case EXTRA, CAPREG, CAPUP, SELCASE:
			return fail(pc, "%s outside its instruction", op)
		}
		a, b, c := int(GetA(ins)), int(GetB(ins)), int(GetC(ins))
		bx := int(GetBx(ins))
		// Generic role checks.
		switch info.Format {
		case FmtABC:
			roles := [3]Role{info.A, info.B, info.C}
			vals := [3]int{a, b, c}
			for k, ro := range roles {
				switch ro {
				case RReg:
					if err := reg(pc, vals[k], "ABC"[k:k+1]); err != nil {
						return err
					}
				case RNone:
					if vals[k] != 0 {
						return fail(pc, "%s: unused field %c must be 0", op, "ABC"[k])
					}
				}
			}
		case FmtABx, FmtAsBx:
			if info.A == RReg {
				if err := reg(pc, a, "A"); err != nil {
					return err
				}
			} else if a != 0 {
				return fail(pc, "%s: unused field A must be 0", op)
			}
			switch info.B {
			case RConst:
				if bx >= len(m.Consts) {
					return fail(pc, "constant %d out of range (%d constants)", bx, len(m.Consts))
				}
				k := m.Consts[bx].Kind
				if op == LOADKR && k != ConstString || op == LOADK && k == ConstString {
					return fail(pc, "%s of a constant of the wrong kind", op)
				}
			case RFunc:
				if bx >= len(m.Funcs) {
					return fail(pc, "function %d out of range", bx)
				}
			case RType:
				if bx >= len(m.Types) {
					return fail(pc, "type %d out of range", bx)
				}
			case RHost:
				if bx >= len(m.Hosts) {
					return fail(pc, "host function %d out of range", bx)
				}
			case RMeth:
				if bx >= len(m.MethodNames) {
					return fail(pc, "method name %d out of range", bx)
				}
			case RGlob:
				if bx >= m.NGlobals {
					return fail(pc, "global %d out of range (%d globals)", bx, m.NGlobals)
				}
			case RJump:
				if err := target(pc, pc+1+int(GetSBx(ins))); err != nil {
					return err
				}
			}
		}
		// Operand ranges and kinds specific to some opcodes.
		span := func(r, k int) error { return reg(pc, r+k, "range end") }
		var err error
		switch op {
		case SSLICE, SLICE:
			err = span(c, 1)
		case SLICE3:
			err = span(c, 2)
		case MAPGET, SNEXT, RECV2, MAPNEXT:
			err = span(a, 1)
		case MKSLICE:
			if err = span(b, 1); err == nil {
				t := int(GetAx(f.Code[pc+1]))
				if t >= len(m.Types) || m.Types[t].Kind != KSlice {
					err = fail(pc, "MKSLICE of type %d which is not a slice type", t)
				}
			}
			pc++
		case PACK, PACKB, PACKR:
			if c > 0 {
				err = span(b, c-1)
			}
		case DEFER, GO:
			err = span(a, b)
		case NEW:
			if k := m.Types[bx].Kind; !k.IsAggregate() {
				err = fail(pc, "NEW of a %s type", k)
			}
		case MKMAP:
			if m.Types[bx].Kind != KMap {
				err = fail(pc, "MKMAP of a %s type", m.Types[bx].Kind)
			}
		case ASSERT, ASSERT2:
			if m.Types[bx].Kind == KInterface {
				err = fail(pc, "%s to an interface type (use ASSERTI)", op)
			} else if op == ASSERT2 {
				err = span(a, 1)
			}
		case ASSERTI, ASSERTI2:
			if m.Types[bx].Kind != KInterface {
				err = fail(pc, "%s to a non-interface type", op)
			} else if op == ASSERTI2 {
				err = span(a, 1)
			}
		case CALL:
			cf := &m.Funcs[bx]
			if cf.NCaps != 0 {
				err = fail(pc, "CALL of closure function %s", cf.Name)
			} else if w := max(cf.NParams, cf.NResults); w > 0 {
				err = span(a, w-1)
			}
		case CALLH:
			h := m.Hosts[bx]
			if w := max(h.NArgs, h.NResult); w > 0 {
				err = span(a, w-1)
			}
		case RET:
			if b > 0 {
				err = span(a, b-1)
			}
			if err == nil && b != f.NResults {
				err = fail(pc, "RET of %d values in a function with %d results", b, f.NResults)
			}
		case GETUP, SETUP:
			if b >= f.NCaps {
				err = fail(pc, "captured cell %d out of range (%d captures)", b, f.NCaps)
			}
		case CLOSURE:
			k := m.Funcs[bx].NCaps
			for j := 1; j <= k && err == nil; j++ {
				w := f.Code[pc+j]
				if GetOp(w) == CAPREG {
					err = reg(pc+j, int(GetA(w)), "capture")
				} else if int(GetA(w)) >= f.NCaps {
					err = fail(pc+j, "CAPUP %d out of range (%d captures)", GetA(w), f.NCaps)
				}
			}
			pc += k
		case SELECT:
			for j := 1; j <= b && err == nil; j++ {
				w := f.Code[pc+j]
				if GetA(w) > 1 {
					err = fail(pc+j, "SELCASE direction %d", GetA(w))
				} else if err = reg(pc+j, int(GetB(w)), "B"); err == nil {
					err = reg(pc+j, int(GetC(w))+int(1-GetA(w)), "C")
				}
			}
			if c > 1 {
				err = fail(pc, "SELECT default flag %d", c)
			}
			pc += b
		case DIVI, MODI:
			if c == 0 {
				err = fail(pc, "%s by zero", op)
			}
		case EXT:
			switch c {
			case ExtI8, ExtI16, ExtI32, ExtU8, ExtU16, ExtU32:
			default:
				err = fail(pc, "EXT code %d", c)
			}
		}
		if err != nil {
			return err
		}
		if IsCondSkip(op) {
			if pc+1 >= n || GetOp(f.Code[pc+1]) != JMP {
				return fail(pc, "%s must be followed by JMP", op)
			}
			if pc+2 < n {
				if err := target(pc, pc+2); err != nil {
					return err
				}
			} else {
				return fail(pc, "%s skips past the end", op)
			}
		}
	}
	return nil
}

// FloatConst and IntConst build constants.
func FloatConst(f float64) Const { return Const{Kind: ConstFloat, N: math.Float64bits(f)} }
func IntConst(i int64) Const     { return Const{Kind: ConstInt, N: uint64(i)} }
func StringConst(s string) Const { return Const{Kind: ConstString, S: s} }
