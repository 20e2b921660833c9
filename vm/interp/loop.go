package interp

import (
	"fmt"
	"math"
	"unicode/utf8"
	"unsafe"

	"github.com/minictr/minictr/vm/isa"
)

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func f64(x uint64) float64 { return math.Float64frombits(x) }
func u64(f float64) uint64 { return math.Float64bits(f) }

func idxErr(i uint64, n int) *trap {
	return &trap{msg: fmt.Sprintf("index out of range [%d] with length %d", int64(i), n)}
}

func sliceErr(lo, hi uint64, n int) *trap {
	if int64(hi) < 0 || hi > uint64(n) {
		return &trap{msg: fmt.Sprintf("slice bounds out of range [:%d] with length %d", int64(hi), n)}
	}
	return &trap{msg: fmt.Sprintf("slice bounds out of range [%d:%d]", int64(lo), int64(hi))}
}

const nilDeref = "invalid memory address or nil pointer dereference"

// loop is the interpreter: one dense switch, pc/base/registers in locals. It runs g until the
// budget is spent or g blocks, yields or ends. Traps panic and are recovered by protectedLoop.
func (m *Machine) loop(g *G, budget int64) (int, int64) {
	fr := &g.frames[len(g.frames)-1]
	code := fr.fn.code
	pc := fr.pc
	R := (*[256]uint64)(g.regs[fr.base:])
	F := (*[256]any)(g.refs[fr.base:])
	for {
		if budget <= 0 {
			fr.pc = pc
			return stBudget, budget
		}
		budget--
		ins := code[pc]
		pc++
		a := uint8(ins >> 8)
		switch isa.Op(ins) {
		case isa.NOP:
		case isa.MOV:
			R[a] = R[uint8(ins>>16)]
		case isa.MOVR:
			F[a] = F[uint8(ins>>16)]
		case isa.MOVALL:
			b := uint8(ins >> 16)
			R[a], F[a] = R[b], F[b]
		case isa.LOADI:
			R[a] = uint64(int64(int16(ins >> 16)))
		case isa.LOADK:
			R[a] = m.kn[ins>>16]
		case isa.LOADKR:
			F[a] = m.kr[ins>>16]
		case isa.CLEAR:
			R[a], F[a] = 0, nil
		case isa.GETG:
			R[a], F[a] = m.globN[ins>>16], m.globR[ins>>16]
		case isa.SETG:
			m.globN[ins>>16], m.globR[ins>>16] = R[a], F[a]
		case isa.ADD:
			R[a] = R[uint8(ins>>16)] + R[uint8(ins>>24)]
		case isa.SUB:
			R[a] = R[uint8(ins>>16)] - R[uint8(ins>>24)]
		case isa.MUL:
			R[a] = R[uint8(ins>>16)] * R[uint8(ins>>24)]
		case isa.DIV:
			y := int64(R[uint8(ins>>24)])
			if y == 0 {
				m.trapAt(g, pc, &trap{msg: "integer divide by zero"})
			}
			R[a] = uint64(int64(R[uint8(ins>>16)]) / y)
		case isa.MOD:
			y := int64(R[uint8(ins>>24)])
			if y == 0 {
				m.trapAt(g, pc, &trap{msg: "integer divide by zero"})
			}
			R[a] = uint64(int64(R[uint8(ins>>16)]) % y)
		case isa.DIVU:
			y := R[uint8(ins>>24)]
			if y == 0 {
				m.trapAt(g, pc, &trap{msg: "integer divide by zero"})
			}
			R[a] = R[uint8(ins>>16)] / y
		case isa.MODU:
			y := R[uint8(ins>>24)]
			if y == 0 {
				m.trapAt(g, pc, &trap{msg: "integer divide by zero"})
			}
			R[a] = R[uint8(ins>>16)] % y
		case isa.AND:
			R[a] = R[uint8(ins>>16)] & R[uint8(ins>>24)]
		case isa.OR:
			R[a] = R[uint8(ins>>16)] | R[uint8(ins>>24)]
		case isa.XOR:
			R[a] = R[uint8(ins>>16)] ^ R[uint8(ins>>24)]
		case isa.ANDNOT:
			R[a] = R[uint8(ins>>16)] &^ R[uint8(ins>>24)]
		case isa.SHL:
			s := int64(R[uint8(ins>>24)])
			if s < 0 {
				m.trapAt(g, pc, &trap{msg: "negative shift amount"})
			}
			R[a] = R[uint8(ins>>16)] << uint64(s)
		case isa.SHR:
			s := int64(R[uint8(ins>>24)])
			if s < 0 {
				m.trapAt(g, pc, &trap{msg: "negative shift amount"})
			}
			R[a] = uint64(int64(R[uint8(ins>>16)]) >> uint64(s))
		case isa.SHRU:
			s := int64(R[uint8(ins>>24)])
			if s < 0 {
				m.trapAt(g, pc, &trap{msg: "negative shift amount"})
			}
			R[a] = R[uint8(ins>>16)] >> uint64(s)
		case isa.ADDI:
			R[a] = R[uint8(ins>>16)] + uint64(int64(int8(ins>>24)))
		case isa.DIVI:
			R[a] = uint64(int64(R[uint8(ins>>16)]) / int64(int8(ins>>24)))
		case isa.MODI:
			R[a] = uint64(int64(R[uint8(ins>>16)]) % int64(int8(ins>>24)))
		case isa.MULI:
			R[a] = R[uint8(ins>>16)] * uint64(int64(int8(ins>>24)))
		case isa.NEG:
			R[a] = -R[uint8(ins>>16)]
		case isa.BNOT:
			R[a] = ^R[uint8(ins>>16)]
		case isa.NOT:
			R[a] = R[uint8(ins>>16)] ^ 1
		case isa.EXT:
			x := R[uint8(ins>>16)]
			switch ins >> 24 {
			case isa.ExtI8:
				x = uint64(int64(int8(x)))
			case isa.ExtI16:
				x = uint64(int64(int16(x)))
			case isa.ExtI32:
				x = uint64(int64(int32(x)))
			case isa.ExtU8:
				x = uint64(uint8(x))
			case isa.ExtU16:
				x = uint64(uint16(x))
			case isa.ExtU32:
				x = uint64(uint32(x))
			}
			R[a] = x
		case isa.FADD:
			R[a] = u64(f64(R[uint8(ins>>16)]) + f64(R[uint8(ins>>24)]))
		case isa.FSUB:
			R[a] = u64(f64(R[uint8(ins>>16)]) - f64(R[uint8(ins>>24)]))
		case isa.FMUL:
			R[a] = u64(f64(R[uint8(ins>>16)]) * f64(R[uint8(ins>>24)]))
		case isa.FDIV:
			R[a] = u64(f64(R[uint8(ins>>16)]) / f64(R[uint8(ins>>24)]))
		case isa.FNEG:
			R[a] = u64(-f64(R[uint8(ins>>16)]))
		case isa.F32:
			R[a] = u64(float64(float32(f64(R[uint8(ins>>16)]))))
		case isa.I2F:
			R[a] = u64(float64(int64(R[uint8(ins>>16)])))
		case isa.U2F:
			R[a] = u64(float64(R[uint8(ins>>16)]))
		case isa.F2I:
			R[a] = uint64(int64(f64(R[uint8(ins>>16)])))
		case isa.F2U:
			R[a] = uint64(f64(R[uint8(ins>>16)]))
		case isa.FSQRT:
			R[a] = u64(math.Sqrt(f64(R[uint8(ins>>16)])))
		case isa.FFLOOR:
			R[a] = u64(math.Floor(f64(R[uint8(ins>>16)])))
		case isa.FABS:
			R[a] = u64(math.Abs(f64(R[uint8(ins>>16)])))
		case isa.EQ:
			R[a] = b2u(R[uint8(ins>>16)] == R[uint8(ins>>24)])
		case isa.NE:
			R[a] = b2u(R[uint8(ins>>16)] != R[uint8(ins>>24)])
		case isa.LT:
			R[a] = b2u(int64(R[uint8(ins>>16)]) < int64(R[uint8(ins>>24)]))
		case isa.LE:
			R[a] = b2u(int64(R[uint8(ins>>16)]) <= int64(R[uint8(ins>>24)]))
		case isa.LTU:
			R[a] = b2u(R[uint8(ins>>16)] < R[uint8(ins>>24)])
		case isa.LEU:
			R[a] = b2u(R[uint8(ins>>16)] <= R[uint8(ins>>24)])
		case isa.FEQ:
			R[a] = b2u(f64(R[uint8(ins>>16)]) == f64(R[uint8(ins>>24)]))
		case isa.FNE:
			R[a] = b2u(f64(R[uint8(ins>>16)]) != f64(R[uint8(ins>>24)]))
		case isa.FLT:
			R[a] = b2u(f64(R[uint8(ins>>16)]) < f64(R[uint8(ins>>24)]))
		case isa.FLE:
			R[a] = b2u(f64(R[uint8(ins>>16)]) <= f64(R[uint8(ins>>24)]))
		case isa.SEQ:
			x, _ := F[uint8(ins>>16)].(string)
			y, _ := F[uint8(ins>>24)].(string)
			R[a] = b2u(x == y)
		case isa.SLT:
			x, _ := F[uint8(ins>>16)].(string)
			y, _ := F[uint8(ins>>24)].(string)
			R[a] = b2u(x < y)
		case isa.SLE:
			x, _ := F[uint8(ins>>16)].(string)
			y, _ := F[uint8(ins>>24)].(string)
			R[a] = b2u(x <= y)
		case isa.REQ:
			R[a] = b2u(refEqual(F[uint8(ins>>16)], F[uint8(ins>>24)]))
		case isa.ISNIL:
			R[a] = b2u(isNil(F[uint8(ins>>16)]))
		case isa.JMP:
			pc += int(int16(ins >> 16))
		case isa.IFT:
			if R[a] != 0 {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFF:
			if R[a] == 0 {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFEQ:
			if R[a] == R[uint8(ins>>16)] {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFNE:
			if R[a] != R[uint8(ins>>16)] {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFLT:
			if int64(R[a]) < int64(R[uint8(ins>>16)]) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFLE:
			if int64(R[a]) <= int64(R[uint8(ins>>16)]) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFLTU:
			if R[a] < R[uint8(ins>>16)] {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFLEU:
			if R[a] <= R[uint8(ins>>16)] {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFFLT:
			if f64(R[a]) < f64(R[uint8(ins>>16)]) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFFLE:
			if f64(R[a]) <= f64(R[uint8(ins>>16)]) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFEQI:
			if int64(R[a]) == int64(int8(ins>>16)) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFNEI:
			if int64(R[a]) != int64(int8(ins>>16)) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFLTI:
			if int64(R[a]) < int64(int8(ins>>16)) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFLEI:
			if int64(R[a]) <= int64(int8(ins>>16)) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFGTI:
			if int64(R[a]) > int64(int8(ins>>16)) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.IFGEI:
			if int64(R[a]) >= int64(int8(ins>>16)) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.FORLT:
			x := R[a] + uint64(int64(int8(ins>>24)))
			R[a] = x
			if int64(x) < int64(R[uint8(ins>>16)]) {
				pc += 1 + int(int16(code[pc]>>16))
			} else {
				pc++
			}
		case isa.SCAT:
			x, _ := F[uint8(ins>>16)].(string)
			y, _ := F[uint8(ins>>24)].(string)
			if len(x)+len(y) > 1<<20 {
				m.checkAlloc(int64(len(x) + len(y)))
			}
			F[a] = x + y
		case isa.SLEN:
			x, _ := F[uint8(ins>>16)].(string)
			R[a] = uint64(len(x))
		case isa.SIDX:
			x, _ := F[uint8(ins>>16)].(string)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(x)) {
				m.trapAt(g, pc, idxErr(i, len(x)))
			}
			R[a] = uint64(x[i])
		case isa.SSLICE:
			x, _ := F[uint8(ins>>16)].(string)
			c := uint8(ins >> 24)
			lo, hi := R[c], R[c+1]
			if int64(hi) == -1 {
				hi = uint64(len(x))
			}
			if hi > uint64(len(x)) || lo > hi {
				m.trapAt(g, pc, sliceErr(lo, hi, len(x)))
			}
			F[a] = x[lo:hi]
		case isa.S2B:
			x, _ := F[uint8(ins>>16)].(string)
			F[a] = []byte(x)
		case isa.B2S:
			x, _ := F[uint8(ins>>16)].([]byte)
			F[a] = string(x)
		case isa.R2S:
			r := int64(R[uint8(ins>>16)])
			if r < 0 || r > utf8.MaxRune {
				r = utf8.RuneError
			}
			F[a] = string(rune(r))
		case isa.S2R:
			x, _ := F[uint8(ins>>16)].(string)
			out := make([]uint64, 0, len(x))
			for _, r := range x {
				out = append(out, uint64(r))
			}
			F[a] = out
		case isa.RS2S:
			x, _ := F[uint8(ins>>16)].([]uint64)
			rs := make([]rune, len(x))
			for i, r := range x {
				rs[i] = rune(int32(r))
			}
			F[a] = string(rs)
		case isa.SNEXT:
			x, _ := F[uint8(ins>>16)].(string)
			i := R[uint8(ins>>24)]
			if i < uint64(len(x)) {
				if c := x[i]; c < utf8.RuneSelf {
					R[a], R[a+1] = uint64(c), 1
				} else {
					r, w := utf8.DecodeRuneInString(x[i:])
					R[a], R[a+1] = uint64(r), uint64(w)
				}
			}
		case isa.MKSLICE:
			t := m.types[isa.GetAx(code[pc])]
			pc++
			b := uint8(ins >> 16)
			n, c := int64(R[b]), int64(R[b+1])
			if n < 0 || n > 1<<40 {
				m.trapAt(g, pc, &trap{msg: "makeslice: len out of range"})
			}
			if c < n || c > 1<<40 {
				m.trapAt(g, pc, &trap{msg: "makeslice: cap out of range"})
			}
			F[a] = m.makeSlice(t, n, c)
		case isa.LEN:
			R[a] = uint64(lenOf(F[uint8(ins>>16)]))
		case isa.CAP:
			R[a] = uint64(capOf(F[uint8(ins>>16)]))
		case isa.IDX:
			s, _ := F[uint8(ins>>16)].([]uint64)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(s)) {
				m.trapAt(g, pc, idxErr(i, len(s)))
			}
			R[a] = s[i]
		case isa.IDXB:
			s, _ := F[uint8(ins>>16)].([]byte)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(s)) {
				m.trapAt(g, pc, idxErr(i, len(s)))
			}
			R[a] = uint64(s[i])
		case isa.IDXR:
			s, _ := F[uint8(ins>>16)].([]any)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(s)) {
				m.trapAt(g, pc, idxErr(i, len(s)))
			}
			F[a] = s[i]
		case isa.SETIDX:
			s, _ := F[a].([]uint64)
			i := R[uint8(ins>>16)]
			if i >= uint64(len(s)) {
				m.trapAt(g, pc, idxErr(i, len(s)))
			}
			s[i] = R[uint8(ins>>24)]
		case isa.SETIDXB:
			s, _ := F[a].([]byte)
			i := R[uint8(ins>>16)]
			if i >= uint64(len(s)) {
				m.trapAt(g, pc, idxErr(i, len(s)))
			}
			s[i] = byte(R[uint8(ins>>24)])
		case isa.SETIDXR:
			s, _ := F[a].([]any)
			i := R[uint8(ins>>16)]
			if i >= uint64(len(s)) {
				m.trapAt(g, pc, idxErr(i, len(s)))
			}
			s[i] = F[uint8(ins>>24)]
		case isa.SLICE, isa.SLICE3:
			c := uint8(ins >> 24)
			var mx uint64 = math.MaxUint64
			if isa.Op(ins) == isa.SLICE3 {
				mx = R[c+2]
			}
			v, t := sliceOf(F[uint8(ins>>16)], R[c], R[c+1], mx)
			if t != nil {
				m.trapAt(g, pc, t)
			}
			F[a] = v
		case isa.APPEND:
			s, _ := F[uint8(ins>>16)].([]uint64)
			if len(s) == cap(s) && m.opts.MaxMemory > 0 {
				m.checkAlloc(int64(len(s)) * 16)
			}
			F[a] = append(s, R[uint8(ins>>24)])
		case isa.APPENDB:
			s, _ := F[uint8(ins>>16)].([]byte)
			if len(s) == cap(s) && m.opts.MaxMemory > 0 {
				m.checkAlloc(int64(len(s)) * 2)
			}
			F[a] = append(s, byte(R[uint8(ins>>24)]))
		case isa.APPENDR:
			s, _ := F[uint8(ins>>16)].([]any)
			if len(s) == cap(s) && m.opts.MaxMemory > 0 {
				m.checkAlloc(int64(len(s)) * 32)
			}
			F[a] = append(s, F[uint8(ins>>24)])
		case isa.APPENDS:
			F[a] = m.appendSlice(F[uint8(ins>>16)], F[uint8(ins>>24)])
		case isa.COPY:
			R[a] = uint64(copySlice(F[uint8(ins>>16)], F[uint8(ins>>24)]))
		case isa.PACK:
			b, c := uint8(ins>>16), int(ins>>24)
			s := make([]uint64, c)
			for i := range s {
				s[i] = R[int(b)+i]
			}
			F[a] = s
		case isa.PACKB:
			b, c := uint8(ins>>16), int(ins>>24)
			s := make([]byte, c)
			for i := range s {
				s[i] = byte(R[int(b)+i])
			}
			F[a] = s
		case isa.PACKR:
			b, c := uint8(ins>>16), int(ins>>24)
			s := make([]any, c)
			for i := range s {
				s[i] = F[int(b)+i]
			}
			F[a] = s
		case isa.MKMAP:
			t := m.types[ins>>16]
			mp := &Map{T: t, strKey: t.key.kind == isa.KString}
			if mp.strKey {
				mp.S = map[string]slot{}
			} else {
				if t.elem.kind.IsRef() {
					mp.I = &intMap[slot]{}
				} else {
					mp.IN = &intMap[uint64]{}
				}
			}
			F[a] = mp
		case isa.MAPGET:
			mp, _ := F[uint8(ins>>16)].(*Map)
			c := uint8(ins >> 24)
			var v slot
			ok := false
			if mp != nil {
				if mp.strKey {
					k, _ := F[c].(string)
					v, ok = mp.S[k]
				} else {
					if mp.IN != nil {
						v.n, ok = mp.IN.get(R[c])
					} else {
						v, ok = mp.I.get(R[c])
					}
				}
				if !ok && mp.T.elem.kind.IsAggregate() {
					v.r = newZero(mp.T.elem)
				}
			}
			R[a], F[a], R[a+1] = v.n, v.r, b2u(ok)
		case isa.MAPSET:
			mp, _ := F[a].(*Map)
			if mp == nil {
				m.trapAt(g, pc, &trap{msg: "assignment to entry in nil map"})
			}
			b, c := uint8(ins>>16), uint8(ins>>24)
			if mp.strKey {
				k, _ := F[b].(string)
				mp.S[k] = slot{R[c], F[c]}
			} else {
				if mp.IN != nil {
					mp.IN.set(R[b], R[c])
				} else {
					mp.I.set(R[b], slot{R[c], F[c]})
				}
			}
		case isa.MAPDEL:
			mp, _ := F[a].(*Map)
			if mp != nil {
				b := uint8(ins >> 16)
				if mp.strKey {
					k, _ := F[b].(string)
					delete(mp.S, k)
				} else {
					if mp.IN != nil {
						mp.IN.del(R[b])
					} else {
						mp.I.del(R[b])
					}
				}
			}
		case isa.MAPITER:
			mp, _ := F[uint8(ins>>16)].(*Map)
			it := &mapIter{m: mp}
			if mp != nil {
				if mp.strKey {
					it.sk = make([]string, 0, len(mp.S))
					for k := range mp.S {
						it.sk = append(it.sk, k)
					}
				} else {
					if mp.IN != nil {
						it.ik = mp.IN.keyList()
					} else {
						it.ik = mp.I.keyList()
					}
				}
			}
			F[a] = it
		case isa.MAPNEXT:
			it, _ := F[uint8(ins>>16)].(*mapIter)
			found := false
			for it != nil && it.m != nil && !found {
				if it.m.strKey {
					if it.next >= len(it.sk) {
						break
					}
					k := it.sk[it.next]
					it.next++
					if v, ok := it.m.S[k]; ok {
						F[a], R[a+1], F[a+1] = k, v.n, v.r
						found = true
					}
				} else {
					if it.next >= len(it.ik) {
						break
					}
					k := it.ik[it.next]
					it.next++
					if v, ok := it.m.getInt(k); ok {
						R[a], R[a+1], F[a+1] = k, v.n, v.r
						found = true
					}
				}
			}
			if found {
				pc++
			} else {
				pc += 1 + int(int16(code[pc]>>16))
			}
		case isa.NEW:
			F[a] = newZero(m.types[ins>>16])
		case isa.GETF:
			s, _ := F[uint8(ins>>16)].(*Struct)
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			R[a] = s.N[ins>>24]
		case isa.GETFR:
			s, _ := F[uint8(ins>>16)].(*Struct)
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			F[a] = s.R[ins>>24]
		case isa.SETF:
			s, _ := F[a].(*Struct)
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			s.N[uint8(ins>>16)] = R[uint8(ins>>24)]
		case isa.SETFR:
			s, _ := F[a].(*Struct)
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			s.R[uint8(ins>>16)] = F[uint8(ins>>24)]
		case isa.AGET:
			s, _ := F[uint8(ins>>16)].(*Struct)
			i := R[uint8(ins>>24)]
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			if i >= uint64(len(s.N)) {
				m.trapAt(g, pc, idxErr(i, len(s.N)))
			}
			R[a] = s.N[i]
		case isa.AGETR:
			s, _ := F[uint8(ins>>16)].(*Struct)
			i := R[uint8(ins>>24)]
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			if i >= uint64(len(s.R)) {
				m.trapAt(g, pc, idxErr(i, len(s.R)))
			}
			F[a] = s.R[i]
		case isa.ASET:
			s, _ := F[a].(*Struct)
			i := R[uint8(ins>>16)]
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			if i >= uint64(len(s.N)) {
				m.trapAt(g, pc, idxErr(i, len(s.N)))
			}
			s.N[i] = R[uint8(ins>>24)]
		case isa.ASETR:
			s, _ := F[a].(*Struct)
			i := R[uint8(ins>>16)]
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			if i >= uint64(len(s.R)) {
				m.trapAt(g, pc, idxErr(i, len(s.R)))
			}
			s.R[i] = F[uint8(ins>>24)]
		case isa.CLONE:
			s, _ := F[uint8(ins>>16)].(*Struct)
			if s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			F[a] = clone(s)
		case isa.COPYIN:
			d, _ := F[a].(*Struct)
			s, _ := F[uint8(ins>>16)].(*Struct)
			if d == nil || s == nil {
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			copyInto(d, s)
		case isa.BOX:
			t := m.types[ins>>16]
			if t.kind.IsRef() {
				F[a] = &Iface{T: t, R: F[a]}
			} else {
				F[a] = &Iface{T: t, N: R[a]}
			}
		case isa.ASSERT, isa.ASSERT2:
			t := m.types[ins>>16]
			iv, _ := F[a].(*Iface)
			if iv != nil && iv.T == t {
				R[a], F[a] = iv.N, iv.R
				if isa.Op(ins) == isa.ASSERT2 {
					R[a+1] = 1
				}
			} else if isa.Op(ins) == isa.ASSERT2 {
				R[a], F[a], R[a+1] = 0, nil, 0
				if t.kind.IsAggregate() {
					F[a] = newZero(t)
				}
			} else {
				m.trapAt(g, pc, m.assertErr(iv, t))
			}
		case isa.ASSERTI, isa.ASSERTI2:
			t := m.types[ins>>16]
			iv, _ := F[a].(*Iface)
			ok := iv != nil && implements(iv.T, t)
			if isa.Op(ins) == isa.ASSERTI2 {
				R[a+1] = b2u(ok)
				if !ok {
					F[a] = nil
				}
			} else if !ok {
				m.trapAt(g, pc, m.assertErr(iv, t))
			}
		case isa.TYPEOF:
			iv, _ := F[uint8(ins>>16)].(*Iface)
			if iv == nil || iv.T == nil {
				R[a] = math.MaxUint64
			} else {
				R[a] = uint64(iv.T.idx)
			}
		case isa.CALL, isa.CALLCL, isa.CALLI:
			var callee *fnInfo
			var ncl *Closure
			switch isa.Op(ins) {
			case isa.CALL:
				callee = m.funcs[ins>>16]
			case isa.CALLCL:
				ncl, _ = F[uint8(ins>>16)].(*Closure)
				if ncl == nil {
					m.trapAt(g, pc, &trap{msg: nilDeref})
				}
				callee = ncl.F
			default:
				iv, _ := F[a].(*Iface)
				if iv == nil || iv.T == nil || iv.T.meths == nil || iv.T.meths[ins>>16] == nil {
					if iv == nil {
						m.trapAt(g, pc, &trap{msg: nilDeref})
					}
					m.trapAt(g, pc, &trap{msg: "method " + m.mnames[ins>>16] + " missing on dynamic type"})
				}
				mi := ins >> 16
				callee = iv.T.meths[mi]
				R[a], F[a] = iv.N, iv.R
				if !iv.T.ptrRecv[mi] {
					if s, ok := iv.R.(*Struct); ok {
						F[a] = clone(s)
					}
				}
			}
			fr.pc = pc
			nb := fr.base + int(a)
			if nb+callee.nregs+256 > len(g.regs) {
				g.grow(nb + callee.nregs + 256)
			}
			if len(g.frames) >= m.opts.MaxDepth {
				fr.pc = pc
				panic(&vmFatal{msg: fmt.Sprintf("fatal error: stack overflow (call depth exceeds --max-depth %d)", m.opts.MaxDepth)})
			}
			g.frames = append(g.frames, frame{fn: callee, base: nb, cl: ncl})
			fr = &g.frames[len(g.frames)-1]
			code, pc = callee.code, 0
			R = (*[256]uint64)(g.regs[nb:])
			F = (*[256]any)(g.refs[nb:])
		case isa.CALLH:
			h := &m.hosts[ins>>16]
			fr.pc = pc
			w := max(h.nargs, h.nres)
			if h.block != nil {
				if st := m.blockingCall(g, h, fr.base+int(a), w); st != stYield {
					return st, budget
				}
				// done synchronously (user threads)
				continue
			}
			depth := len(g.frames)
			ab := fr.base + int(a)
			h.fn(m, g, g.regs[ab:ab+w], g.refs[ab:ab+w])
			if len(g.frames) != depth {
				return stYield, budget
			}
			fr = &g.frames[depth-1]
			R = (*[256]uint64)(g.regs[fr.base:])
			F = (*[256]any)(g.refs[fr.base:])
		case isa.RET:
			b := int(ins >> 16 & 0xff)
			for i := 0; i < b; i++ {
				R[i], F[i] = R[int(a)+i], F[int(a)+i]
			}
			flags := fr.flags
			g.frames = g.frames[:len(g.frames)-1]
			if len(g.frames) == 0 {
				return stDone, budget
			}
			if flags&flagHostReturn != 0 {
				return stHostReturn, budget
			}
			fr = &g.frames[len(g.frames)-1]
			if fr.pc == -1 {
				// a deferred call made while panicking returned
				if g.panic != nil && !g.panic.recovered {
					if !m.unwind(g) {
						return stDone, budget
					}
					return stYield, budget
				}
				g.panic = nil
				fr.pc = fr.fn.f.Epilogue
			}
			code, pc = fr.fn.code, fr.pc
			R = (*[256]uint64)(g.regs[fr.base:])
			F = (*[256]any)(g.refs[fr.base:])
		case isa.CLOSURE:
			f := m.funcs[ins>>16]
			k := f.f.NCaps
			c := &Closure{F: f}
			if k > 0 {
				c.Cells = make([]*Cell, k)
				for j := 0; j < k; j++ {
					w := code[pc+j]
					if isa.GetOp(w) == isa.CAPREG {
						c.Cells[j], _ = F[uint8(w>>8)].(*Cell)
					} else {
						c.Cells[j] = fr.cl.Cells[uint8(w>>8)]
					}
				}
				pc += k
			}
			F[a] = c
		case isa.GETUP:
			c := fr.cl.Cells[uint8(ins>>16)]
			R[a], F[a] = c.N, c.R
		case isa.SETUP:
			c := fr.cl.Cells[uint8(ins>>16)]
			c.N, c.R = R[a], F[a]
		case isa.NEWCELL:
			b := uint8(ins >> 16)
			F[a] = &Cell{N: R[b], R: F[b]}
		case isa.LDCELL:
			c, _ := F[uint8(ins>>16)].(*Cell)
			R[a], F[a] = c.N, c.R
		case isa.STCELL:
			c, _ := F[a].(*Cell)
			b := uint8(ins >> 16)
			c.N, c.R = R[b], F[b]
		case isa.DEFER, isa.GO:
			c, _ := F[a].(*Closure)
			if c == nil {
				if isa.Op(ins) == isa.GO {
					m.trapAt(g, pc, &trap{msg: "go of nil func value"})
				}
				m.trapAt(g, pc, &trap{msg: nilDeref})
			}
			n := int(ins >> 16 & 0xff)
			an := append([]uint64(nil), R[int(a)+1:int(a)+1+n]...)
			ar := append([]any(nil), F[int(a)+1:int(a)+1+n]...)
			if isa.Op(ins) == isa.GO {
				m.newG(c, an, ar)
			} else {
				g.defers = append(g.defers, deferRec{frame: len(g.frames) - 1, cl: c, n: an, r: ar})
			}
		case isa.RUNDEFER:
			if n := len(g.defers); n > 0 && g.defers[n-1].frame == len(g.frames)-1 {
				d := g.defers[n-1]
				g.defers = g.defers[:n-1]
				fr.pc = pc - 1
				m.pushDeferCall(g, d)
				fr = &g.frames[len(g.frames)-1]
				code, pc = fr.fn.code, 0
				R = (*[256]uint64)(g.regs[fr.base:])
				F = (*[256]any)(g.refs[fr.base:])
			}
		case isa.PANIC:
			iv, _ := F[a].(*Iface)
			fr.pc = pc
			if iv == nil {
				iv = m.runtimeErr("panic called with nil argument (see issue 25448)", false)
			}
			panic(&vmPanic{val: iv})
		case isa.RECOVER:
			F[a] = nil
			top := len(g.frames) - 1
			if fr.flags&flagDeferCall != 0 && top > 0 && g.frames[top-1].pc == -1 &&
				g.panic != nil && !g.panic.recovered {
				F[a] = g.panic.val
				g.panic.recovered = true
			}
		case isa.MKCHAN:
			n := int64(R[uint8(ins>>16)])
			if n < 0 || n > 1<<30 {
				m.trapAt(g, pc, &trap{msg: "makechan: size out of range"})
			}
			m.checkAlloc(n * 24)
			F[a] = &Chan{buf: make([]slot, n)}
		case isa.SEND:
			c, _ := F[a].(*Chan)
			b := uint8(ins >> 16)
			v := slot{R[b], F[b]}
			if c == nil || !m.trySend(c, v) {
				fr.pc = pc
				if c != nil {
					g.sd.val, g.sd.okIdx = v, -1
					c.sendq = append(c.sendq, &g.sd)
				}
				g.wait = "chan send"
				if g.nested > 0 {
					panic(&vmFatal{msg: "fatal error: " + errBlocking.Error()})
				}
				return stBlock, budget
			}
		case isa.RECV, isa.RECV2:
			c, _ := F[uint8(ins>>16)].(*Chan)
			var v slot
			ok, done := false, false
			if c != nil {
				v, ok, done = m.tryRecv(c)
			}
			if done {
				R[a], F[a] = v.n, v.r
				if isa.Op(ins) == isa.RECV2 {
					R[a+1] = b2u(ok)
				}
			} else {
				fr.pc = pc
				okIdx := -1
				if isa.Op(ins) == isa.RECV2 {
					okIdx = fr.base + int(a) + 1
				}
				if c != nil {
					g.sd.idx, g.sd.okIdx = fr.base+int(a), okIdx
					c.recvq = append(c.recvq, &g.sd)
				}
				g.wait = "chan receive"
				if g.nested > 0 {
					panic(&vmFatal{msg: "fatal error: " + errBlocking.Error()})
				}
				return stBlock, budget
			}
		case isa.CLOSECH:
			c, _ := F[a].(*Chan)
			fr.pc = pc
			m.closeChan(c)
		case isa.SELECT:
			n := int(ins >> 16 & 0xff)
			fr.pc = pc + n
			blocked := m.doSelect(g, code[pc:pc+n], fr.base, int(a), ins>>24 != 0)
			pc += n
			if blocked {
				if g.nested > 0 {
					panic(&vmFatal{msg: "fatal error: " + errBlocking.Error()})
				}
				return stBlock, budget
			}
		case isa.GOSCHED:
			fr.pc = pc
			return stYield, budget
		default:
			m.trapAt(g, pc, &trap{msg: fmt.Sprintf("invalid instruction %s at pc %d", isa.FormatIns(nil, ins, pc-1), pc-1)})
		}
	}
}

// trapAt records pc for the stack trace and raises a runtime error (recovered by
// protectedLoop).
//
//go:noinline
func (m *Machine) trapAt(g *G, pc int, t *trap) {
	t.pc = pc
	panic(t)
}

func (m *Machine) doSelect(g *G, cases []uint32, base, a int, hasDefault bool) bool {
	n := len(cases)
	start := 0
	if n > 1 {
		start = int(m.random() % uint64(n))
	}
	for k := 0; k < n; k++ {
		i := (start + k) % n
		w := cases[i]
		send := isa.GetA(w) == 1
		c, _ := g.refs[base+int(isa.GetB(w))].(*Chan)
		if !c.ready(send) {
			continue
		}
		v := base + int(isa.GetC(w))
		if send {
			m.trySend(c, slot{g.regs[v], g.refs[v]})
		} else {
			s, ok, _ := m.tryRecv(c)
			g.regs[v], g.refs[v], g.regs[v+1] = s.n, s.r, b2u(ok)
		}
		g.regs[base+a] = uint64(i)
		return false
	}
	if hasDefault {
		g.regs[base+a] = math.MaxUint64
		return false
	}
	sel := &selState{resIdx: base + a}
	for i, w := range cases {
		c, _ := g.refs[base+int(isa.GetB(w))].(*Chan)
		if c == nil {
			continue
		}
		v := base + int(isa.GetC(w))
		if isa.GetA(w) == 1 {
			c.sendq = append(c.sendq, &sudog{g: g, val: slot{g.regs[v], g.refs[v]}, okIdx: -1, sel: sel, caseIdx: i})
		} else {
			c.recvq = append(c.recvq, &sudog{g: g, idx: v, okIdx: v + 1, sel: sel, caseIdx: i})
		}
	}
	g.wait = "select"
	if n == 0 {
		g.wait = "select (no cases)"
	}
	return true
}

func (m *Machine) assertErr(iv *Iface, t *rtype) *trap {
	if iv == nil {
		return &trap{msg: fmt.Sprintf("interface conversion: interface is nil, not %s", t.name)}
	}
	if t.kind == isa.KInterface {
		return &trap{msg: fmt.Sprintf("interface conversion: %s is not %s: missing method", iv.T.name, t.name)}
	}
	return &trap{msg: fmt.Sprintf("interface conversion: interface {} is %s, not %s", iv.T.name, t.name)}
}

func implements(dt, it *rtype) bool {
	if dt == nil {
		return false
	}
	for _, mi := range it.t.IMeths {
		if dt.meths == nil || dt.meths[mi] == nil {
			return false
		}
	}
	return true
}

func isNil(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case *Iface:
		return x == nil
	case *Struct:
		return x == nil
	case []uint64:
		return x == nil
	case []byte:
		return x == nil
	case []any:
		return x == nil
	case *Map:
		return x == nil
	case *Chan:
		return x == nil
	case *Closure:
		return x == nil
	}
	return false
}

func refEqual(x, y any) bool {
	if isNil(x) || isNil(y) {
		return isNil(x) && isNil(y)
	}
	a, ok1 := x.(*Iface)
	b, ok2 := y.(*Iface)
	if ok1 && ok2 {
		return ifaceEqual(a, b)
	}
	return x == y
}

func ifaceEqual(a, b *Iface) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.T != b.T || a.N != b.N {
		return false
	}
	if sa, ok := a.R.(*Struct); ok && a.T != nil && a.T.kind.IsAggregate() {
		sb, _ := b.R.(*Struct)
		return structEqual(sa, sb)
	}
	switch a.R.(type) {
	case []uint64, []byte, []any, *Map, *Closure:
		panic(&trap{msg: "comparing uncomparable type " + a.T.name})
	}
	return a.R == b.R
}

func structEqual(a, b *Struct) bool {
	if a == nil || b == nil {
		return a == b
	}
	for i := range a.N {
		if a.N[i] != b.N[i] {
			return false
		}
	}
	for i := range a.R {
		if !refEqual(a.R[i], b.R[i]) {
			if sa, ok := a.R[i].(*Struct); ok {
				if sb, ok := b.R[i].(*Struct); ok && structEqual(sa, sb) {
					continue
				}
			}
			if s1, ok := a.R[i].(string); ok || a.R[i] == nil {
				s2, _ := b.R[i].(string)
				if s1 == s2 {
					continue
				}
			}
			return false
		}
	}
	return true
}

func lenOf(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []uint64:
		return len(x)
	case []byte:
		return len(x)
	case []any:
		return len(x)
	case *Map:
		return x.Len()
	case *Chan:
		if x == nil {
			return 0
		}
		return x.count
	case *Struct:
		if x == nil {
			return 0
		}
		return len(x.N) + len(x.R)
	}
	return 0
}

func capOf(v any) int {
	switch x := v.(type) {
	case []uint64:
		return cap(x)
	case []byte:
		return cap(x)
	case []any:
		return cap(x)
	case *Chan:
		if x == nil {
			return 0
		}
		return len(x.buf)
	case *Struct:
		if x == nil {
			return 0
		}
		return len(x.N) + len(x.R)
	}
	return 0
}

func sliceOf(v any, lo, hi, mx uint64) (any, *trap) {
	var n, c int
	switch x := v.(type) {
	case []uint64:
		n, c = len(x), cap(x)
	case []byte:
		n, c = len(x), cap(x)
	case []any:
		n, c = len(x), cap(x)
	case string:
		n, c = len(x), len(x)
	case *Struct:
		if x == nil {
			return nil, &trap{msg: nilDeref}
		}
		if x.N != nil || x.T.numR == 0 {
			return sliceOf(x.N, lo, hi, mx)
		}
		return sliceOf(x.R, lo, hi, mx)
	case nil:
	}
	if int64(hi) == -1 {
		hi = uint64(n)
	}
	if mx == math.MaxUint64 {
		mx = uint64(c)
	}
	if mx > uint64(c) || hi > mx || lo > hi {
		return nil, sliceErr(lo, hi, c)
	}
	switch x := v.(type) {
	case []uint64:
		return x[lo:hi:mx], nil
	case []byte:
		return x[lo:hi:mx], nil
	case []any:
		return x[lo:hi:mx], nil
	case string:
		return x[lo:hi], nil
	}
	return v, nil
}

func (m *Machine) makeSlice(t *rtype, n, c int64) any {
	e := t.elem
	switch {
	case e.kind == isa.KUint8 || e.kind == isa.KBool:
		m.checkAlloc(c)
		return make([]byte, n, c)
	case e.kind.IsRef():
		m.checkAlloc(c * 16)
		s := make([]any, n, c)
		if e.kind.IsAggregate() {
			for i := range s {
				s[i] = newZero(e)
			}
		}
		return s
	default:
		m.checkAlloc(c * 8)
		return make([]uint64, n, c)
	}
}

func (m *Machine) appendSlice(dst, src any) any {
	if n := lenOf(dst) + lenOf(src); n > 1<<16 {
		m.checkAlloc(int64(n) * 16)
	}
	switch d := dst.(type) {
	case []uint64:
		s, _ := src.([]uint64)
		return append(d, s...)
	case []byte:
		if s, ok := src.(string); ok {
			return append(d, s...)
		}
		s, _ := src.([]byte)
		return append(d, s...)
	case []any:
		s, _ := src.([]any)
		return append(d, s...)
	case nil:
		switch s := src.(type) {
		case []uint64:
			return append([]uint64(nil), s...)
		case []byte:
			return append([]byte(nil), s...)
		case string:
			return append([]byte(nil), s...)
		case []any:
			return append([]any(nil), s...)
		}
	}
	return dst
}

func copySlice(dst, src any) int {
	switch d := dst.(type) {
	case []uint64:
		s, _ := src.([]uint64)
		return copy(d, s)
	case []byte:
		if s, ok := src.(string); ok {
			return copy(d, s)
		}
		s, _ := src.([]byte)
		return copy(d, s)
	case []any:
		s, _ := src.([]any)
		return copy(d, s)
	}
	return 0
}

// fastLoop runs the common instructions, none of which calls a function that returns, so the
// loop state stays in machine registers. Any other instruction leaves with stSlow and fr.pc on
// it; the caller executes that one instruction with loop and comes back.
func (m *Machine) fastLoop(g *G, budget int64) (int, int64) {
	fr := &g.frames[len(g.frames)-1]
	code := fr.fn.cp // verified code, padded: no bounds check needed
	pc := fr.pc
	R := (*[256]uint64)(g.regs[fr.base:])
	F := (*[256]any)(g.refs[fr.base:])
	for {
		ins := at(code, pc)
		pc++
		a := uint8(ins >> 8)
		switch isa.Op(ins) {
		case isa.NOP:
		case isa.MOV:
			R[a] = R[uint8(ins>>16)]
		case isa.MOVR:
			F[a] = F[uint8(ins>>16)]
		case isa.MOVALL:
			b := uint8(ins >> 16)
			R[a], F[a] = R[b], F[b]
		case isa.LOADI:
			R[a] = uint64(int64(int16(ins >> 16)))
		case isa.LOADK:
			R[a] = m.kn[ins>>16]
		case isa.LOADKR:
			F[a] = m.kr[ins>>16]
		case isa.CLEAR:
			R[a], F[a] = 0, nil
		case isa.GETG:
			R[a], F[a] = m.globN[ins>>16], m.globR[ins>>16]
		case isa.SETG:
			m.globN[ins>>16], m.globR[ins>>16] = R[a], F[a]
		case isa.ADD:
			R[a] = R[uint8(ins>>16)] + R[uint8(ins>>24)]
		case isa.SUB:
			R[a] = R[uint8(ins>>16)] - R[uint8(ins>>24)]
		case isa.MUL:
			R[a] = R[uint8(ins>>16)] * R[uint8(ins>>24)]
		case isa.DIV:
			y := int64(R[uint8(ins>>24)])
			if y == 0 {
				fr.pc = pc
				panic(&trap{msg: "integer divide by zero"})
			}
			R[a] = uint64(int64(R[uint8(ins>>16)]) / y)
		case isa.MOD:
			y := int64(R[uint8(ins>>24)])
			if y == 0 {
				fr.pc = pc
				panic(&trap{msg: "integer divide by zero"})
			}
			R[a] = uint64(int64(R[uint8(ins>>16)]) % y)
		case isa.DIVU:
			y := R[uint8(ins>>24)]
			if y == 0 {
				fr.pc = pc
				panic(&trap{msg: "integer divide by zero"})
			}
			R[a] = R[uint8(ins>>16)] / y
		case isa.MODU:
			y := R[uint8(ins>>24)]
			if y == 0 {
				fr.pc = pc
				panic(&trap{msg: "integer divide by zero"})
			}
			R[a] = R[uint8(ins>>16)] % y
		case isa.AND:
			R[a] = R[uint8(ins>>16)] & R[uint8(ins>>24)]
		case isa.OR:
			R[a] = R[uint8(ins>>16)] | R[uint8(ins>>24)]
		case isa.XOR:
			R[a] = R[uint8(ins>>16)] ^ R[uint8(ins>>24)]
		case isa.ANDNOT:
			R[a] = R[uint8(ins>>16)] &^ R[uint8(ins>>24)]
		case isa.SHL:
			s := int64(R[uint8(ins>>24)])
			if s < 0 {
				fr.pc = pc
				panic(&trap{msg: "negative shift amount"})
			}
			R[a] = R[uint8(ins>>16)] << uint64(s)
		case isa.SHR:
			s := int64(R[uint8(ins>>24)])
			if s < 0 {
				fr.pc = pc
				panic(&trap{msg: "negative shift amount"})
			}
			R[a] = uint64(int64(R[uint8(ins>>16)]) >> uint64(s))
		case isa.SHRU:
			s := int64(R[uint8(ins>>24)])
			if s < 0 {
				fr.pc = pc
				panic(&trap{msg: "negative shift amount"})
			}
			R[a] = R[uint8(ins>>16)] >> uint64(s)
		case isa.ADDI:
			R[a] = R[uint8(ins>>16)] + uint64(int64(int8(ins>>24)))
		case isa.DIVI:
			R[a] = uint64(int64(R[uint8(ins>>16)]) / int64(int8(ins>>24)))
		case isa.MODI:
			R[a] = uint64(int64(R[uint8(ins>>16)]) % int64(int8(ins>>24)))
		case isa.MULI:
			R[a] = R[uint8(ins>>16)] * uint64(int64(int8(ins>>24)))
		case isa.NEG:
			R[a] = -R[uint8(ins>>16)]
		case isa.BNOT:
			R[a] = ^R[uint8(ins>>16)]
		case isa.NOT:
			R[a] = R[uint8(ins>>16)] ^ 1
		case isa.EXT:
			x := R[uint8(ins>>16)]
			switch ins >> 24 {
			case isa.ExtI8:
				x = uint64(int64(int8(x)))
			case isa.ExtI16:
				x = uint64(int64(int16(x)))
			case isa.ExtI32:
				x = uint64(int64(int32(x)))
			case isa.ExtU8:
				x = uint64(uint8(x))
			case isa.ExtU16:
				x = uint64(uint16(x))
			case isa.ExtU32:
				x = uint64(uint32(x))
			}
			R[a] = x
		case isa.FADD:
			R[a] = u64(f64(R[uint8(ins>>16)]) + f64(R[uint8(ins>>24)]))
		case isa.FSUB:
			R[a] = u64(f64(R[uint8(ins>>16)]) - f64(R[uint8(ins>>24)]))
		case isa.FMUL:
			R[a] = u64(f64(R[uint8(ins>>16)]) * f64(R[uint8(ins>>24)]))
		case isa.FDIV:
			R[a] = u64(f64(R[uint8(ins>>16)]) / f64(R[uint8(ins>>24)]))
		case isa.FNEG:
			R[a] = u64(-f64(R[uint8(ins>>16)]))
		case isa.F32:
			R[a] = u64(float64(float32(f64(R[uint8(ins>>16)]))))
		case isa.I2F:
			R[a] = u64(float64(int64(R[uint8(ins>>16)])))
		case isa.U2F:
			R[a] = u64(float64(R[uint8(ins>>16)]))
		case isa.F2I:
			R[a] = uint64(int64(f64(R[uint8(ins>>16)])))
		case isa.F2U:
			R[a] = uint64(f64(R[uint8(ins>>16)]))
		case isa.FSQRT:
			R[a] = u64(math.Sqrt(f64(R[uint8(ins>>16)])))
		case isa.FABS:
			R[a] = u64(math.Abs(f64(R[uint8(ins>>16)])))
		case isa.EQ:
			R[a] = b2u(R[uint8(ins>>16)] == R[uint8(ins>>24)])
		case isa.NE:
			R[a] = b2u(R[uint8(ins>>16)] != R[uint8(ins>>24)])
		case isa.LT:
			R[a] = b2u(int64(R[uint8(ins>>16)]) < int64(R[uint8(ins>>24)]))
		case isa.LE:
			R[a] = b2u(int64(R[uint8(ins>>16)]) <= int64(R[uint8(ins>>24)]))
		case isa.LTU:
			R[a] = b2u(R[uint8(ins>>16)] < R[uint8(ins>>24)])
		case isa.LEU:
			R[a] = b2u(R[uint8(ins>>16)] <= R[uint8(ins>>24)])
		case isa.FEQ:
			R[a] = b2u(f64(R[uint8(ins>>16)]) == f64(R[uint8(ins>>24)]))
		case isa.FNE:
			R[a] = b2u(f64(R[uint8(ins>>16)]) != f64(R[uint8(ins>>24)]))
		case isa.FLT:
			R[a] = b2u(f64(R[uint8(ins>>16)]) < f64(R[uint8(ins>>24)]))
		case isa.FLE:
			R[a] = b2u(f64(R[uint8(ins>>16)]) <= f64(R[uint8(ins>>24)]))
		case isa.JMP:
			off := int(int16(ins >> 16))
			pc += off
			if off < 0 {
				if budget += int64(off); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			}
		case isa.IFT:
			if R[a] != 0 {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFF:
			if R[a] == 0 {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFEQ:
			if R[a] == R[uint8(ins>>16)] {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFNE:
			if R[a] != R[uint8(ins>>16)] {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFLT:
			if int64(R[a]) < int64(R[uint8(ins>>16)]) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFLE:
			if int64(R[a]) <= int64(R[uint8(ins>>16)]) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFLTU:
			if R[a] < R[uint8(ins>>16)] {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFLEU:
			if R[a] <= R[uint8(ins>>16)] {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFFLT:
			if f64(R[a]) < f64(R[uint8(ins>>16)]) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFFLE:
			if f64(R[a]) <= f64(R[uint8(ins>>16)]) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFEQI:
			if int64(R[a]) == int64(int8(ins>>16)) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFNEI:
			if int64(R[a]) != int64(int8(ins>>16)) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFLTI:
			if int64(R[a]) < int64(int8(ins>>16)) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFLEI:
			if int64(R[a]) <= int64(int8(ins>>16)) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFGTI:
			if int64(R[a]) > int64(int8(ins>>16)) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.IFGEI:
			if int64(R[a]) >= int64(int8(ins>>16)) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.FORLT:
			x := R[a] + uint64(int64(int8(ins>>24)))
			R[a] = x
			if int64(x) < int64(R[uint8(ins>>16)]) {
				if pc, budget = jumpAt(code, pc, budget); budget <= 0 {
					fr.pc = pc
					return stBudget, budget
				}
			} else {
				pc++
			}
		case isa.SLEN:
			x, _ := F[uint8(ins>>16)].(string)
			R[a] = uint64(len(x))
		case isa.SIDX:
			x, _ := F[uint8(ins>>16)].(string)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(x)) {
				fr.pc = pc
				panic(idxErr(i, len(x)))
			}
			R[a] = uint64(x[i])
		case isa.IDX:
			s, _ := F[uint8(ins>>16)].([]uint64)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(s)) {
				fr.pc = pc
				panic(idxErr(i, len(s)))
			}
			R[a] = s[i]
		case isa.IDXB:
			s, _ := F[uint8(ins>>16)].([]byte)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(s)) {
				fr.pc = pc
				panic(idxErr(i, len(s)))
			}
			R[a] = uint64(s[i])
		case isa.IDXR:
			s, _ := F[uint8(ins>>16)].([]any)
			i := R[uint8(ins>>24)]
			if i >= uint64(len(s)) {
				fr.pc = pc
				panic(idxErr(i, len(s)))
			}
			F[a] = s[i]
		case isa.SETIDX:
			s, _ := F[a].([]uint64)
			i := R[uint8(ins>>16)]
			if i >= uint64(len(s)) {
				fr.pc = pc
				panic(idxErr(i, len(s)))
			}
			s[i] = R[uint8(ins>>24)]
		case isa.SETIDXB:
			s, _ := F[a].([]byte)
			i := R[uint8(ins>>16)]
			if i >= uint64(len(s)) {
				fr.pc = pc
				panic(idxErr(i, len(s)))
			}
			s[i] = byte(R[uint8(ins>>24)])
		case isa.SETIDXR:
			s, _ := F[a].([]any)
			i := R[uint8(ins>>16)]
			if i >= uint64(len(s)) {
				fr.pc = pc
				panic(idxErr(i, len(s)))
			}
			s[i] = F[uint8(ins>>24)]
		case isa.GETF:
			s, _ := F[uint8(ins>>16)].(*Struct)
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			R[a] = s.N[ins>>24]
		case isa.GETFR:
			s, _ := F[uint8(ins>>16)].(*Struct)
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			F[a] = s.R[ins>>24]
		case isa.SETF:
			s, _ := F[a].(*Struct)
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			s.N[uint8(ins>>16)] = R[uint8(ins>>24)]
		case isa.SETFR:
			s, _ := F[a].(*Struct)
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			s.R[uint8(ins>>16)] = F[uint8(ins>>24)]
		case isa.AGET:
			s, _ := F[uint8(ins>>16)].(*Struct)
			i := R[uint8(ins>>24)]
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			if i >= uint64(len(s.N)) {
				fr.pc = pc
				panic(idxErr(i, len(s.N)))
			}
			R[a] = s.N[i]
		case isa.AGETR:
			s, _ := F[uint8(ins>>16)].(*Struct)
			i := R[uint8(ins>>24)]
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			if i >= uint64(len(s.R)) {
				fr.pc = pc
				panic(idxErr(i, len(s.R)))
			}
			F[a] = s.R[i]
		case isa.ASET:
			s, _ := F[a].(*Struct)
			i := R[uint8(ins>>16)]
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			if i >= uint64(len(s.N)) {
				fr.pc = pc
				panic(idxErr(i, len(s.N)))
			}
			s.N[i] = R[uint8(ins>>24)]
		case isa.ASETR:
			s, _ := F[a].(*Struct)
			i := R[uint8(ins>>16)]
			if s == nil {
				fr.pc = pc
				panic(&trap{msg: nilDeref})
			}
			if i >= uint64(len(s.R)) {
				fr.pc = pc
				panic(idxErr(i, len(s.R)))
			}
			s.R[i] = F[uint8(ins>>24)]
		case isa.GETUP:
			c := fr.cl.Cells[uint8(ins>>16)]
			R[a], F[a] = c.N, c.R
		case isa.SETUP:
			c := fr.cl.Cells[uint8(ins>>16)]
			c.N, c.R = R[a], F[a]
		case isa.LDCELL:
			c, _ := F[uint8(ins>>16)].(*Cell)
			R[a], F[a] = c.N, c.R
		case isa.STCELL:
			c, _ := F[a].(*Cell)
			b := uint8(ins >> 16)
			c.N, c.R = R[b], F[b]
		case isa.MAPGET:
			mp, _ := F[uint8(ins>>16)].(*Map)
			if mp == nil || mp.IN == nil {
				fr.pc = pc - 1
				return stSlow, budget
			}
			fr.pc = pc
			v, ok := mp.IN.get(R[uint8(ins>>24)])
			fr = &g.frames[len(g.frames)-1]
			code, pc = fr.fn.cp, fr.pc
			R = (*[256]uint64)(g.regs[fr.base:])
			F = (*[256]any)(g.refs[fr.base:])
			a = uint8(at(code, pc-1) >> 8)
			R[a], R[a+1] = v, b2u(ok)
		case isa.MAPSET:
			mp, _ := F[a].(*Map)
			if mp == nil || mp.IN == nil {
				fr.pc = pc - 1
				return stSlow, budget
			}
			fr.pc = pc
			mp.IN.set(R[uint8(ins>>16)], R[uint8(ins>>24)])
			fr = &g.frames[len(g.frames)-1]
			code, pc = fr.fn.cp, fr.pc
			R = (*[256]uint64)(g.regs[fr.base:])
			F = (*[256]any)(g.refs[fr.base:])
		case isa.SEND:
			c, _ := F[a].(*Chan)
			if c == nil || c.closed { // blocks forever, or panics: the slow loop says which
				fr.pc = pc - 1
				return stSlow, budget
			}
			fr.pc = pc
			b := uint8(ins >> 16)
			v := slot{R[b], F[b]}
			if !m.trySend(c, v) {
				// Park here rather than in the slow loop: a ping-pong blocks on every message.
				// fastLoop runs only outside nested calls, so blocking is allowed.
				g.sd.val, g.sd.okIdx = v, -1
				c.sendq = append(c.sendq, &g.sd)
				g.wait = "chan send"
				if m.switchFrom(g) {
					return stSwitch, budget
				}
				return stBlock, budget
			}
			// reload the loop state after the call (so it never lives across calls)
			fr = &g.frames[len(g.frames)-1]
			code, pc = fr.fn.cp, fr.pc
			R = (*[256]uint64)(g.regs[fr.base:])
			F = (*[256]any)(g.refs[fr.base:])
		case isa.RECV, isa.RECV2:
			c, _ := F[uint8(ins>>16)].(*Chan)
			if c == nil {
				fr.pc = pc - 1
				return stSlow, budget
			}
			fr.pc = pc
			v, ok, done := m.tryRecv(c)
			fr = &g.frames[len(g.frames)-1]
			code, pc = fr.fn.cp, fr.pc
			R = (*[256]uint64)(g.regs[fr.base:])
			F = (*[256]any)(g.refs[fr.base:])
			ins = at(code, pc-1)
			a = uint8(ins >> 8)
			if !done { // park, as for SEND
				okIdx := -1
				if isa.Op(ins) == isa.RECV2 {
					okIdx = fr.base + int(a) + 1
				}
				g.sd.idx, g.sd.okIdx = fr.base+int(a), okIdx
				c.recvq = append(c.recvq, &g.sd)
				g.wait = "chan receive"
				if m.switchFrom(g) {
					return stSwitch, budget
				}
				return stBlock, budget
			}
			R[a], F[a] = v.n, v.r
			if isa.Op(ins) == isa.RECV2 {
				R[a+1] = b2u(ok)
			}
		case isa.CALL, isa.CALLCL:
			var callee *fnInfo
			var ncl *Closure
			if isa.Op(ins) == isa.CALL {
				callee = m.funcs[ins>>16]
			} else {
				ncl, _ = F[uint8(ins>>16)].(*Closure)
				if ncl == nil {
					fr.pc = pc - 1
					return stSlow, budget
				}
				callee = ncl.F
			}
			nb := fr.base + int(a)
			n := len(g.frames)
			if nb+callee.nregs+256 > len(g.regs) || n == cap(g.frames) || n >= m.opts.MaxDepth {
				fr.pc = pc - 1
				return stSlow, budget
			}
			if budget--; budget <= 0 {
				// charge the call even though it runs in the next slice: a budget that only
				// ever reaches the call must still run out
				fr.pc = pc - 1
				return stBudget, 0
			}
			fr.pc = pc
			g.frames = g.frames[:n+1]
			fr = &g.frames[n]
			fr.fn, fr.pc, fr.base, fr.cl, fr.flags = callee, 0, nb, ncl, 0
			code, pc = callee.cp, 0
			R = (*[256]uint64)(g.regs[nb:])
			F = (*[256]any)(g.refs[nb:])
		case isa.RET:
			n := len(g.frames)
			if n == 1 || fr.flags != 0 || g.frames[n-2].pc < 0 {
				fr.pc = pc - 1
				return stSlow, budget
			}
			b := int(ins >> 16 & 0xff)
			for i := 0; i < b; i++ {
				R[i], F[i] = R[int(a)+i], F[int(a)+i]
			}
			g.frames = g.frames[:n-1]
			fr = &g.frames[n-2]
			code, pc = fr.fn.cp, fr.pc
			R = (*[256]uint64)(g.regs[fr.base:])
			F = (*[256]any)(g.refs[fr.base:])
		default:
			fr.pc = pc - 1
			return stSlow, budget
		}
	}
}

// jumpAt takes the JMP at code[pc]; backward jumps are charged their distance to the budget
// (the fast loop counts instructions on back edges, not one by one).
func jumpAt(code unsafe.Pointer, pc int, budget int64) (int, int64) {
	off := int(int16(at(code, pc) >> 16))
	if off < 0 {
		budget += int64(off)
	}
	return pc + 1 + off, budget
}

// at fetches instruction pc. The verifier proved every pc the fast loop can reach lies inside
// the function (jump targets, fall-through, skips), and the code array carries trap padding.
func at(code unsafe.Pointer, pc int) uint32 {
	return *(*uint32)(unsafe.Add(code, uintptr(pc)*4))
}
