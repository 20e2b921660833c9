package compiler

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"math"

	"github.com/minictr/minictr/vm/isa"
)

func (f *fstate) typeOf(e ast.Expr) types.Type {
	t := f.c.info.TypeOf(e)
	if t == nil {
		f.c.errorf(e.Pos(), "internal: no type for expression")
	}
	return t
}

// elemClass says how a slice stores elements of type t: 'b' bytes, 'n' scalars, 'r' refs.
func elemClass(t types.Type) byte {
	switch kindOf(t) {
	case isa.KUint8, isa.KBool:
		return 'b'
	}
	if isRef(t) {
		return 'r'
	}
	return 'n'
}

// isFresh reports whether e yields a new aggregate value nobody else refers to.
func (f *fstate) isFresh(e ast.Expr) bool {
	switch x := ast.Unparen(e).(type) {
	case *ast.CompositeLit:
		return true
	case *ast.CallExpr:
		if tv := f.c.info.Types[x.Fun]; tv.IsType() {
			return len(x.Args) == 1 && f.isFresh(x.Args[0])
		}
		return true
	case *ast.UnaryExpr:
		return x.Op == token.AND
	}
	return false
}

// exprTo evaluates e into dst as a value of type target: interfaces are boxed, aggregates copied.
func (f *fstate) exprTo(e ast.Expr, dst int, target types.Type) {
	et := f.typeOf(e)
	if isIface(target) && !isIface(et) {
		if kindOf(et) == isa.KNil {
			f.emit(isa.ABC(isa.CLEAR, uint8(dst), 0, 0))
			return
		}
		f.expr(e, dst)
		if isAgg(et) && !f.isFresh(e) {
			f.emit(isa.ABC(isa.CLONE, uint8(dst), uint8(dst), 0))
		}
		f.emit(isa.ABx(isa.BOX, uint8(dst), uint16(f.c.typeID(et))))
		return
	}
	f.expr(e, dst)
	if isAgg(et) && !f.isFresh(e) {
		f.emit(isa.ABC(isa.CLONE, uint8(dst), uint8(dst), 0))
	}
}

// operand returns a register holding e's value, the variable's own register when possible.
func (f *fstate) operand(e ast.Expr) int {
	if id, ok := ast.Unparen(e).(*ast.Ident); ok {
		if v, ok := f.c.info.Uses[id].(*types.Var); ok {
			if loc, ok := f.vars[v]; ok && loc.kind == locReg {
				return loc.idx
			}
		}
	}
	r := f.alloc(1)
	f.expr(e, r)
	return r
}

func (f *fstate) intOperand(e ast.Expr) int { return f.operand(e) }

func (f *fstate) loadConst(t types.Type, v constant.Value, dst int, pos ast.Node) {
	if isIface(t) {
		f.c.errorf(pos.Pos(), "internal: constant of interface type")
	}
	switch k := kindOf(t); {
	case k == isa.KBool:
		f.emit(isa.AsBx(isa.LOADI, uint8(dst), int16(b2i(constant.BoolVal(v)))))
	case k == isa.KString:
		f.emit(isa.ABx(isa.LOADKR, uint8(dst), uint16(f.c.constIdx(isa.StringConst(constant.StringVal(v))))))
	case k == isa.KFloat64 || k == isa.KFloat32:
		x, _ := constant.Float64Val(constant.ToFloat(v))
		if k == isa.KFloat32 {
			x = float64(float32(x))
		}
		f.emit(isa.ABx(isa.LOADK, uint8(dst), uint16(f.c.constIdx(isa.FloatConst(x)))))
	case k >= isa.KInt && k <= isa.KUintptr:
		iv := constant.ToInt(v)
		var n int64
		if i, ok := constant.Int64Val(iv); ok {
			n = i
		} else if u, ok := constant.Uint64Val(iv); ok {
			n = int64(u)
		} else {
			f.c.errorf(pos.Pos(), "constant overflow")
		}
		if n >= math.MinInt16 && n <= math.MaxInt16 {
			f.emit(isa.AsBx(isa.LOADI, uint8(dst), int16(n)))
		} else {
			f.emit(isa.ABx(isa.LOADK, uint8(dst), uint16(f.c.constIdx(isa.IntConst(n)))))
		}
	default:
		f.c.unsupported(pos, "constant of type "+types.TypeString(t, qualifier))
	}
}

// expr evaluates e into dst in the representation of e's own type.
func (f *fstate) expr(e ast.Expr, dst int) {
	info := f.c.info
	f.c.pos = e.Pos()
	tv := info.Types[e]
	if tv.Value != nil {
		t := tv.Type
		if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
			t = types.Default(t)
		}
		f.loadConst(t, tv.Value, dst, e)
		return
	}
	switch x := e.(type) {
	case *ast.ParenExpr:
		f.expr(x.X, dst)
	case *ast.Ident:
		f.ident(x, dst)
	case *ast.BinaryExpr:
		f.binary(x, dst)
	case *ast.UnaryExpr:
		f.unary(x, dst)
	case *ast.CallExpr:
		f.callInto(x, dst)
	case *ast.SelectorExpr:
		f.selector(x, dst)
	case *ast.IndexExpr:
		f.index(x, dst)
	case *ast.SliceExpr:
		f.sliceExpr(x, dst)
	case *ast.StarExpr:
		t := f.typeOf(x)
		if !isAgg(t) {
			f.c.unsupported(x, "pointer to non-struct type "+types.TypeString(t, qualifier))
		}
		p := f.operand(x.X)
		f.move(t, dst, p)
		// a nil pointer must fail here, as in Go
		tmp := f.alloc(1)
		f.emit(isa.ABC(isa.ISNIL, uint8(tmp), uint8(dst), 0))
		f.emit(isa.ABC(isa.IFF, uint8(tmp), 0, 0))
		j := f.emitJump()
		f.emit(isa.ABC(isa.GETF, uint8(tmp), uint8(dst), 0)) // faults on nil
		f.patch(j, f.pc())
		f.next = tmp
	case *ast.CompositeLit:
		f.compositeLit(x, dst)
	case *ast.FuncLit:
		f.funcLit(x, dst)
	case *ast.TypeAssertExpr:
		f.expr(x.X, dst)
		t := f.typeOf(x.Type)
		if isIface(t) {
			f.emit(isa.ABx(isa.ASSERTI, uint8(dst), uint16(f.c.typeID(t))))
		} else {
			f.emit(isa.ABx(isa.ASSERT, uint8(dst), uint16(f.c.typeID(t))))
		}
	default:
		f.c.unsupported(e, "expression "+nodeName(e))
	}
}

func (f *fstate) ident(x *ast.Ident, dst int) {
	info := f.c.info
	switch obj := info.Uses[x].(type) {
	case *types.Var:
		f.loadVar(f.lookup(obj, x), obj.Type(), dst)
	case *types.Nil:
		f.emit(isa.ABC(isa.CLEAR, uint8(dst), 0, 0))
	case *types.Func:
		f.funcValue(obj, x, dst)
	default:
		f.c.unsupported(x, "use of "+x.Name+" as a value")
	}
}

// funcValue makes a closure value of a declared function.
func (f *fstate) funcValue(obj *types.Func, n ast.Node, dst int) {
	fd := f.c.funcDecl[obj.Origin()]
	if fd != nil && fd.Body == nil {
		f.emit(isa.ABx(isa.CLOSURE, uint8(dst), uint16(f.c.hostWrapper(obj, n))))
		return
	}
	if obj.Type().(*types.Signature).Recv() != nil {
		f.c.unsupported(n, "method value")
	}
	f.emit(isa.ABx(isa.CLOSURE, uint8(dst), uint16(f.c.funcIndex(obj))))
}

// hostWrapper returns a VM function that calls a host function (for function values, defer, go).
func (c *compiler) hostWrapper(obj *types.Func, n ast.Node) int {
	name := obj.Pkg().Name() + "." + obj.Name()
	if i, ok := c.wrappers[name]; ok {
		return i
	}
	h := c.hostIdx(n.Pos(), name)
	w := c.newFunc(name+"·wrapper", n.Pos(), nil)
	w.node = n
	hs := c.mod.Hosts[h]
	w.nparams, w.nresults = hs.NArgs, hs.NResult
	w.alloc(max(hs.NArgs, hs.NResult))
	w.emit(isa.ABx(isa.CALLH, 0, uint16(h)))
	w.emit(isa.ABC(isa.RET, 0, uint8(hs.NResult), 0))
	w.finish()
	c.wrappers[name] = w.idx
	return w.idx
}

func (f *fstate) funcLit(x *ast.FuncLit, dst int) {
	c := f.c
	free := c.freeVars(x)
	c.litN++
	name := f.name + ".func" + itoa(c.litN)
	sig := f.typeOf(x).(*types.Signature)
	lit := c.newFunc(name, x.Pos(), sig)
	lit.node = x
	// capture words
	var caps []uint32
	for _, v := range free {
		loc := f.lookup(v, x)
		switch loc.kind {
		case locCell:
			caps = append(caps, isa.ABC(isa.CAPREG, uint8(loc.idx), 0, 0))
		case locUp:
			caps = append(caps, isa.ABC(isa.CAPUP, uint8(loc.idx), 0, 0))
		default:
			c.errorf(x.Pos(), "internal: captured variable %s is not in a cell", v.Name())
		}
	}
	f.emit(isa.ABx(isa.CLOSURE, uint8(dst), uint16(lit.idx)))
	for _, w := range caps {
		f.emit(w)
	}
	c.queue = append(c.queue, func() { lit.body(x.Type, x.Body, sig, free) })
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

func isSigned(t types.Type) bool {
	switch kindOf(t) {
	case isa.KInt, isa.KInt8, isa.KInt16, isa.KInt32, isa.KInt64:
		return true
	}
	return false
}

func isFloat(t types.Type) bool {
	k := kindOf(t)
	return k == isa.KFloat64 || k == isa.KFloat32
}

func isInteger(t types.Type) bool {
	k := kindOf(t)
	return k >= isa.KInt && k <= isa.KUintptr
}

// narrow emits the wrap-around of integer types narrower than 64 bits (and float32 rounding).
func (f *fstate) narrow(t types.Type, r int) {
	var code uint8
	switch kindOf(t) {
	case isa.KInt8:
		code = isa.ExtI8
	case isa.KInt16:
		code = isa.ExtI16
	case isa.KInt32:
		code = isa.ExtI32
	case isa.KUint8:
		code = isa.ExtU8
	case isa.KUint16:
		code = isa.ExtU16
	case isa.KUint32:
		code = isa.ExtU32
	case isa.KFloat32:
		f.emit(isa.ABC(isa.F32, uint8(r), uint8(r), 0))
		return
	default:
		return
	}
	f.emit(isa.ABC(isa.EXT, uint8(r), uint8(r), code))
}

func smallConst(f *fstate, e ast.Expr) (int64, bool) {
	tv := f.c.info.Types[e]
	if tv.Value == nil {
		return 0, false
	}
	v, ok := constInt(tv.Value)
	if !ok || v < -128 || v > 127 {
		return 0, false
	}
	return v, true
}

// binaryInto computes x op y (x already in register xr) into dst, with type t.
func (f *fstate) binaryInto(op token.Token, t types.Type, dst, xr int, y ast.Expr) {
	if isInteger(t) && (op == token.ADD || op == token.SUB) {
		if k, ok := smallConst(f, y); ok {
			if op == token.SUB {
				k = -k
			}
			if k >= -128 && k <= 127 {
				f.emit(isa.ABC(isa.ADDI, uint8(dst), uint8(xr), uint8(int8(k))))
				f.narrow(t, dst)
				return
			}
		}
	}
	if isSigned(t) && (op == token.QUO || op == token.REM) && kindOf(t) != isa.KInt8 {
		if k, ok := smallConst(f, y); ok && k != 0 {
			o := isa.DIVI
			if op == token.REM {
				o = isa.MODI
			}
			f.emit(isa.ABC(o, uint8(dst), uint8(xr), uint8(int8(k))))
			f.narrow(t, dst)
			return
		}
	}
	if isInteger(t) && op == token.MUL {
		if k, ok := smallConst(f, y); ok {
			f.emit(isa.ABC(isa.MULI, uint8(dst), uint8(xr), uint8(int8(k))))
			f.narrow(t, dst)
			return
		}
	}
	mark := f.next
	yr := f.operand(y)
	f.arith(op, t, dst, xr, yr, f.typeOf(y), y)
	f.next = mark
}

func (f *fstate) arith(op token.Token, t types.Type, dst, x, y int, yt types.Type, n ast.Node) {
	emit3 := func(o isa.Op) { f.emit(isa.ABC(o, uint8(dst), uint8(x), uint8(y))) }
	switch {
	case kindOf(t) == isa.KString:
		if op != token.ADD {
			f.c.unsupported(n, "string operator "+op.String())
		}
		emit3(isa.SCAT)
		return
	case isFloat(t):
		switch op {
		case token.ADD:
			emit3(isa.FADD)
		case token.SUB:
			emit3(isa.FSUB)
		case token.MUL:
			emit3(isa.FMUL)
		case token.QUO:
			emit3(isa.FDIV)
		default:
			f.c.unsupported(n, "float operator "+op.String())
		}
		f.narrow(t, dst)
		return
	case isInteger(t):
		signed := isSigned(t)
		switch op {
		case token.ADD:
			emit3(isa.ADD)
		case token.SUB:
			emit3(isa.SUB)
		case token.MUL:
			emit3(isa.MUL)
		case token.QUO:
			if signed {
				emit3(isa.DIV)
			} else {
				emit3(isa.DIVU)
			}
		case token.REM:
			if signed {
				emit3(isa.MOD)
			} else {
				emit3(isa.MODU)
			}
		case token.AND:
			emit3(isa.AND)
		case token.OR:
			emit3(isa.OR)
		case token.XOR:
			emit3(isa.XOR)
		case token.AND_NOT:
			emit3(isa.ANDNOT)
		case token.SHL:
			f.shiftCount(y, yt, func(cnt int) { f.emit(isa.ABC(isa.SHL, uint8(dst), uint8(x), uint8(cnt))) })
		case token.SHR:
			o := isa.SHR
			if !signed {
				o = isa.SHRU
			}
			f.shiftCount(y, yt, func(cnt int) { f.emit(isa.ABC(o, uint8(dst), uint8(x), uint8(cnt))) })
		default:
			f.c.unsupported(n, "integer operator "+op.String())
		}
		f.narrow(t, dst)
		return
	}
	f.c.unsupported(n, "operator "+op.String()+" on "+types.TypeString(t, qualifier))
}

// shiftCount: unsigned counts of 2^63 or more are clamped to 64 so that they are not taken for
// negative counts.
func (f *fstate) shiftCount(y int, yt types.Type, emit func(cnt int)) {
	if isSigned(yt) {
		emit(y)
		return
	}
	mark := f.next
	c := f.alloc(2)
	f.emit(isa.ABC(isa.MOV, uint8(c), uint8(y), 0))
	f.emit(isa.AsBx(isa.LOADI, uint8(c+1), 64))
	f.emit(isa.ABC(isa.IFLEU, uint8(c), uint8(c+1), 0))
	j := f.emitJump()
	f.emit(isa.ABC(isa.MOV, uint8(c), uint8(c+1), 0))
	f.patch(j, f.pc())
	emit(c)
	f.next = mark
}

func (f *fstate) binary(x *ast.BinaryExpr, dst int) {
	switch x.Op {
	case token.LAND, token.LOR, token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		f.boolValue(x, dst)
		return
	}
	t := f.typeOf(x)
	mark := f.next
	xr := f.operand(x.X)
	f.binaryInto(x.Op, t, dst, xr, x.Y)
	f.next = mark
	if dst >= f.next {
		f.reserveTo(dst + 1)
	}
}

// boolValue materialises a condition as 0/1.
func (f *fstate) boolValue(e ast.Expr, dst int) {
	if be, ok := ast.Unparen(e).(*ast.BinaryExpr); ok {
		switch be.Op {
		case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
			if r, ok := f.compareValue(be, dst); ok {
				_ = r
				return
			}
		}
	}
	jt := f.condJump(e, true)
	f.emit(isa.AsBx(isa.LOADI, uint8(dst), 0))
	end := f.emitJump()
	f.patchAll(jt, f.pc())
	f.emit(isa.AsBx(isa.LOADI, uint8(dst), 1))
	f.patch(end, f.pc())
}

// compareValue emits a comparison opcode producing a bool directly.
func (f *fstate) compareValue(be *ast.BinaryExpr, dst int) (int, bool) {
	xt, yt := f.typeOf(be.X), f.typeOf(be.Y)
	mark := f.next
	defer func() { f.next = mark; f.reserveTo(dst + 1) }()
	op := be.Op
	if kindOf(xt) == isa.KNil || kindOf(yt) == isa.KNil {
		other := be.X
		if kindOf(xt) == isa.KNil {
			other = be.Y
		}
		r := f.operand(other)
		f.emit(isa.ABC(isa.ISNIL, uint8(dst), uint8(r), 0))
		if op == token.NEQ {
			f.emit(isa.ABC(isa.NOT, uint8(dst), uint8(dst), 0))
		}
		return dst, true
	}
	if isIface(xt) || isIface(yt) || isAgg(xt) {
		ct := xt
		if isIface(yt) {
			ct = yt
		}
		if isAgg(xt) && !isIface(ct) {
			ct = types.NewInterfaceType(nil, nil)
		}
		a := f.alloc(1)
		f.exprTo(be.X, a, ct)
		b := f.alloc(1)
		f.exprTo(be.Y, b, ct)
		f.emit(isa.ABC(isa.REQ, uint8(dst), uint8(a), uint8(b)))
		if op == token.NEQ {
			f.emit(isa.ABC(isa.NOT, uint8(dst), uint8(dst), 0))
		} else if op != token.EQL {
			f.c.unsupported(be, "ordered comparison of interfaces")
		}
		return dst, true
	}
	a := f.operand(be.X)
	b := f.operand(be.Y)
	swap := op == token.GTR || op == token.GEQ
	if swap {
		a, b = b, a
		if op == token.GTR {
			op = token.LSS
		} else {
			op = token.LEQ
		}
	}
	var o isa.Op
	k := kindOf(xt)
	switch {
	case k == isa.KString:
		o = map[token.Token]isa.Op{token.EQL: isa.SEQ, token.NEQ: isa.SEQ, token.LSS: isa.SLT, token.LEQ: isa.SLE}[op]
	case isFloat(xt):
		o = map[token.Token]isa.Op{token.EQL: isa.FEQ, token.NEQ: isa.FNE, token.LSS: isa.FLT, token.LEQ: isa.FLE}[op]
	case k.IsRef():
		o = isa.REQ
		if op != token.EQL && op != token.NEQ {
			f.c.unsupported(be, "comparison "+op.String())
		}
	case isSigned(xt) || k == isa.KBool:
		o = map[token.Token]isa.Op{token.EQL: isa.EQ, token.NEQ: isa.NE, token.LSS: isa.LT, token.LEQ: isa.LE}[op]
	default:
		o = map[token.Token]isa.Op{token.EQL: isa.EQ, token.NEQ: isa.NE, token.LSS: isa.LTU, token.LEQ: isa.LEU}[op]
	}
	f.emit(isa.ABC(o, uint8(dst), uint8(a), uint8(b)))
	if op == token.NEQ && (o == isa.SEQ || o == isa.REQ) {
		f.emit(isa.ABC(isa.NOT, uint8(dst), uint8(dst), 0))
	}
	return dst, true
}

// condJump emits code that jumps when e evaluates to want; it returns the jumps to patch.
func (f *fstate) condJump(e ast.Expr, want bool) []int {
	mark := f.next
	defer func() { f.next = mark }()
	e = ast.Unparen(e)
	if tv := f.c.info.Types[e]; tv.Value != nil && tv.Value.Kind() == constant.Bool {
		if constant.BoolVal(tv.Value) == want {
			return []int{f.emitJump()}
		}
		return nil
	}
	switch x := e.(type) {
	case *ast.UnaryExpr:
		if x.Op == token.NOT {
			return f.condJump(x.X, !want)
		}
	case *ast.BinaryExpr:
		switch x.Op {
		case token.LAND:
			if want {
				skip := f.condJump(x.X, false)
				jt := f.condJump(x.Y, true)
				f.patchAll(skip, f.pc())
				return jt
			}
			return append(f.condJump(x.X, false), f.condJump(x.Y, false)...)
		case token.LOR:
			if want {
				return append(f.condJump(x.X, true), f.condJump(x.Y, true)...)
			}
			skip := f.condJump(x.X, true)
			jf := f.condJump(x.Y, false)
			f.patchAll(skip, f.pc())
			return jf
		case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
			xt := f.typeOf(x.X)
			if isInteger(xt) && isInteger(f.typeOf(x.Y)) || kindOf(xt) == isa.KBool && kindOf(f.typeOf(x.Y)) == isa.KBool {
				return f.intCondJump(x, want)
			}
		}
	}
	r := f.alloc(1)
	f.expr(e, r)
	if want {
		f.emit(isa.ABC(isa.IFT, uint8(r), 0, 0))
	} else {
		f.emit(isa.ABC(isa.IFF, uint8(r), 0, 0))
	}
	return []int{f.emitJump()}
}

func negate(op token.Token) token.Token {
	return map[token.Token]token.Token{token.EQL: token.NEQ, token.NEQ: token.EQL, token.LSS: token.GEQ,
		token.GEQ: token.LSS, token.LEQ: token.GTR, token.GTR: token.LEQ}[op]
}

func (f *fstate) intCondJump(x *ast.BinaryExpr, want bool) []int {
	op := x.Op
	if !want {
		op = negate(op)
	}
	signed := isSigned(f.typeOf(x.X)) || kindOf(f.typeOf(x.X)) == isa.KBool
	a := f.operand(x.X)
	if k, ok := smallConst(f, x.Y); ok && signed {
		o := map[token.Token]isa.Op{token.EQL: isa.IFEQI, token.NEQ: isa.IFNEI, token.LSS: isa.IFLTI,
			token.LEQ: isa.IFLEI, token.GTR: isa.IFGTI, token.GEQ: isa.IFGEI}[op]
		f.emit(isa.ABC(o, uint8(a), uint8(int8(k)), 0))
		return []int{f.emitJump()}
	}
	b := f.operand(x.Y)
	switch op {
	case token.GTR:
		a, b, op = b, a, token.LSS
	case token.GEQ:
		a, b, op = b, a, token.LEQ
	}
	var o isa.Op
	switch op {
	case token.EQL:
		o = isa.IFEQ
	case token.NEQ:
		o = isa.IFNE
	case token.LSS:
		o = isa.IFLT
		if !signed {
			o = isa.IFLTU
		}
	case token.LEQ:
		o = isa.IFLE
		if !signed {
			o = isa.IFLEU
		}
	}
	f.emit(isa.ABC(o, uint8(a), uint8(b), 0))
	return []int{f.emitJump()}
}

func (f *fstate) unary(x *ast.UnaryExpr, dst int) {
	t := f.typeOf(x)
	switch x.Op {
	case token.SUB:
		r := f.operand(x.X)
		if isFloat(t) {
			f.emit(isa.ABC(isa.FNEG, uint8(dst), uint8(r), 0))
		} else {
			f.emit(isa.ABC(isa.NEG, uint8(dst), uint8(r), 0))
		}
		f.narrow(t, dst)
	case token.ADD:
		f.expr(x.X, dst)
	case token.XOR:
		r := f.operand(x.X)
		f.emit(isa.ABC(isa.BNOT, uint8(dst), uint8(r), 0))
		f.narrow(t, dst)
	case token.NOT:
		r := f.operand(x.X)
		f.emit(isa.ABC(isa.NOT, uint8(dst), uint8(r), 0))
	case token.ARROW:
		ch := f.operand(x.X)
		f.emit(isa.ABC(isa.RECV, uint8(dst), uint8(ch), 0))
	case token.AND:
		f.addressOf(x.X, dst)
	default:
		f.c.unsupported(x, "operator "+x.Op.String())
	}
}

// addressOf: pointers are only to structs and arrays, whose objects are their own address.
func (f *fstate) addressOf(e ast.Expr, dst int) {
	t := f.typeOf(e)
	if !isAgg(t) {
		f.c.unsupported(e, "pointer to non-struct type "+types.TypeString(t, qualifier))
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.CompositeLit:
		f.compositeLit(x, dst)
	case *ast.Ident, *ast.SelectorExpr, *ast.IndexExpr, *ast.StarExpr:
		f.expr(x, dst)
		if ix, ok := x.(*ast.IndexExpr); ok {
			if _, isMap := f.typeOf(ix.X).Underlying().(*types.Map); isMap {
				f.c.unsupported(e, "address of map element")
			}
		}
	default:
		f.c.unsupported(e, "address of this expression")
	}
}

// fieldPath evaluates the struct holding a selected field: (object register, field index, ref).
func (f *fstate) fieldPath(x *ast.SelectorExpr) (int, int, bool) {
	sel := f.c.info.Selections[x]
	obj := f.operand(x.X)
	t := sel.Recv()
	path := sel.Index()
	for i, fi := range path {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		st := t.Underlying().(*types.Struct)
		ref, idx := structLayout(st)
		if i == len(path)-1 {
			return obj, idx[fi], ref[fi]
		}
		r := f.alloc(1)
		f.emit(isa.ABC(isa.GETFR, uint8(r), uint8(obj), uint8(idx[fi])))
		obj = r
		t = st.Field(fi).Type()
	}
	f.c.errorf(x.Pos(), "internal: empty selection")
	return 0, 0, false
}

func (f *fstate) selector(x *ast.SelectorExpr, dst int) {
	info := f.c.info
	sel := info.Selections[x]
	if sel == nil {
		// qualified identifier
		switch obj := info.Uses[x.Sel].(type) {
		case *types.Var:
			f.loadVar(f.lookup(obj, x), obj.Type(), dst)
		case *types.Func:
			f.funcValue(obj, x, dst)
		default:
			f.c.unsupported(x, "use of "+x.Sel.Name)
		}
		return
	}
	if sel.Kind() == types.MethodVal {
		f.methodValue(x, sel, dst)
		return
	}
	if sel.Kind() != types.FieldVal {
		f.c.unsupported(x, "method expression "+x.Sel.Name+" (wrap it in a func literal)")
	}
	mark := f.next
	obj, idx, ref := f.fieldPath(x)
	if ref {
		f.emit(isa.ABC(isa.GETFR, uint8(dst), uint8(obj), uint8(idx)))
	} else {
		f.emit(isa.ABC(isa.GETF, uint8(dst), uint8(obj), uint8(idx)))
	}
	f.next = mark
	f.reserveTo(dst + 1)
}

func (f *fstate) index(x *ast.IndexExpr, dst int) {
	if _, ok := f.typeOf(x.X).(*types.Signature); ok {
		f.c.unsupported(x, "generic function instantiation")
	}
	xt := f.typeOf(x.X).Underlying()
	if p, ok := xt.(*types.Pointer); ok {
		xt = p.Elem().Underlying()
	}
	mark := f.next
	defer func() { f.next = mark; f.reserveTo(dst + 1) }()
	switch t := xt.(type) {
	case *types.Basic:
		s := f.operand(x.X)
		i := f.operand(x.Index)
		f.emit(isa.ABC(isa.SIDX, uint8(dst), uint8(s), uint8(i)))
	case *types.Slice:
		s := f.operand(x.X)
		i := f.operand(x.Index)
		op := map[byte]isa.Op{'n': isa.IDX, 'b': isa.IDXB, 'r': isa.IDXR}[elemClass(t.Elem())]
		f.emit(isa.ABC(op, uint8(dst), uint8(s), uint8(i)))
	case *types.Array:
		s := f.operand(x.X)
		i := f.operand(x.Index)
		op := isa.AGET
		if isRef(t.Elem()) {
			op = isa.AGETR
		}
		f.emit(isa.ABC(op, uint8(dst), uint8(s), uint8(i)))
	case *types.Map:
		m := f.operand(x.X)
		k := f.alloc(1)
		f.exprTo(x.Index, k, t.Key())
		if kt := kindOf(t.Key()); kt.IsRef() && kt != isa.KString {
			f.c.unsupported(x, "map key type "+types.TypeString(t.Key(), qualifier))
		}
		r := f.alloc(2)
		f.emit(isa.ABC(isa.MAPGET, uint8(r), uint8(m), uint8(k)))
		f.move(t.Elem(), dst, r)
	default:
		f.c.unsupported(x, "index of "+types.TypeString(xt, qualifier))
	}
}

func (f *fstate) sliceExpr(x *ast.SliceExpr, dst int) {
	xt := f.typeOf(x.X).Underlying()
	if p, ok := xt.(*types.Pointer); ok {
		xt = p.Elem().Underlying()
	}
	if a, ok := xt.(*types.Array); ok && elemClass(a.Elem()) == 'b' {
		f.c.unsupported(x, "slicing an array of bytes or bools")
	}
	mark := f.next
	defer func() { f.next = mark; f.reserveTo(dst + 1) }()
	s := f.operand(x.X)
	n := 2
	if x.Slice3 {
		n = 3
	}
	b := f.alloc(n)
	if x.Low != nil {
		f.expr(x.Low, b)
	} else {
		f.emit(isa.AsBx(isa.LOADI, uint8(b), 0))
	}
	if x.High != nil {
		f.expr(x.High, b+1)
	} else {
		f.emit(isa.AsBx(isa.LOADI, uint8(b+1), -1))
	}
	if x.Slice3 {
		f.expr(x.Max, b+2)
		f.emit(isa.ABC(isa.SLICE3, uint8(dst), uint8(s), uint8(b)))
		return
	}
	if bt, ok := xt.(*types.Basic); ok && bt.Info()&types.IsString != 0 {
		f.emit(isa.ABC(isa.SSLICE, uint8(dst), uint8(s), uint8(b)))
		return
	}
	f.emit(isa.ABC(isa.SLICE, uint8(dst), uint8(s), uint8(b)))
}

func (f *fstate) compositeLit(x *ast.CompositeLit, dst int) {
	t := f.typeOf(x)
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	mark := f.next
	defer func() { f.next = mark; f.reserveTo(dst + 1) }()
	switch u := t.Underlying().(type) {
	case *types.Struct:
		obj := f.alloc(1)
		f.emit(isa.ABx(isa.NEW, uint8(obj), uint16(f.c.typeID(t))))
		ref, idx := structLayout(u)
		for i, el := range x.Elts {
			fi := i
			val := el
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				name := kv.Key.(*ast.Ident).Name
				for j := 0; j < u.NumFields(); j++ {
					if u.Field(j).Name() == name {
						fi = j
					}
				}
				val = kv.Value
			}
			r := f.alloc(1)
			f.exprTo(val, r, u.Field(fi).Type())
			op := isa.SETF
			if ref[fi] {
				op = isa.SETFR
			}
			f.emit(isa.ABC(op, uint8(obj), uint8(idx[fi]), uint8(r)))
			f.next = r
		}
		f.move(t, dst, obj)
	case *types.Array:
		obj := f.alloc(1)
		f.emit(isa.ABx(isa.NEW, uint8(obj), uint16(f.c.typeID(t))))
		f.elements(x, obj, u.Elem(), func(i, v int) {
			op := isa.ASET
			if isRef(u.Elem()) {
				op = isa.ASETR
			}
			f.emit(isa.ABC(op, uint8(obj), uint8(i), uint8(v)))
		})
		f.move(t, dst, obj)
	case *types.Slice:
		n := int64(0)
		pos := int64(0)
		for _, el := range x.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				k, _ := constInt(f.c.info.Types[kv.Key].Value)
				pos = k
			}
			pos++
			if pos > n {
				n = pos
			}
		}
		obj := f.alloc(1)
		lc := f.alloc(2)
		f.loadConst(types.Typ[types.Int], constant.MakeInt64(n), lc, x)
		f.emit(isa.ABC(isa.MOV, uint8(lc+1), uint8(lc), 0))
		f.emit(isa.ABC(isa.MKSLICE, uint8(obj), uint8(lc), 0))
		f.emit(isa.Ax(isa.EXTRA, uint32(f.c.typeID(t))))
		op := setIdxOp(u.Elem())
		f.elements(x, obj, u.Elem(), func(i, v int) {
			if isAgg(u.Elem()) {
				f.emit(isa.ABC(isa.SETIDXR, uint8(obj), uint8(i), uint8(v)))
				return
			}
			f.emit(isa.ABC(op, uint8(obj), uint8(i), uint8(v)))
		})
		f.move(t, dst, obj)
	case *types.Map:
		obj := f.alloc(1)
		if kt := kindOf(u.Key()); kt.IsRef() && kt != isa.KString {
			f.c.unsupported(x, "map key type "+types.TypeString(u.Key(), qualifier))
		}
		f.emit(isa.ABx(isa.MKMAP, uint8(obj), uint16(f.c.typeID(t))))
		for _, el := range x.Elts {
			kv := el.(*ast.KeyValueExpr)
			k := f.alloc(1)
			f.exprTo(kv.Key, k, u.Key())
			v := f.alloc(1)
			f.exprTo(kv.Value, v, u.Elem())
			f.emit(isa.ABC(isa.MAPSET, uint8(obj), uint8(k), uint8(v)))
			f.next = k
		}
		f.move(t, dst, obj)
	default:
		f.c.unsupported(x, "composite literal of type "+types.TypeString(t, qualifier))
	}
}

func (f *fstate) elements(x *ast.CompositeLit, obj int, elem types.Type, set func(i, v int)) {
	pos := int64(0)
	for _, el := range x.Elts {
		val := el
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			pos, _ = constInt(f.c.info.Types[kv.Key].Value)
			val = kv.Value
		}
		i := f.alloc(1)
		f.loadConst(types.Typ[types.Int], constant.MakeInt64(pos), i, x)
		v := f.alloc(1)
		f.exprTo(val, v, elem)
		set(i, v)
		f.next = i
		pos++
	}
}

func constantInt(n int64) constant.Value { return constant.MakeInt64(n) }

// methodValue binds a receiver to a method: x.M used as a value. The receiver is evaluated (and
// copied, for value receivers) now and captured by a closure of a generated wrapper.
func (f *fstate) methodValue(x *ast.SelectorExpr, sel *types.Selection, dst int) {
	fn := sel.Obj().(*types.Func)
	sig := fn.Type().(*types.Signature)
	ci := callInfo{fn: fn, sig: sig, recv: x.X, path: sel.Index()[:len(sel.Index())-1]}
	iface := isIface(sig.Recv().Type())
	mark := f.next
	r := f.alloc(1)
	if iface {
		if len(ci.path) > 0 {
			f.receiverPath(ci, r)
		} else {
			f.expr(x.X, r)
		}
	} else {
		if fd := f.c.funcDecl[fn.Origin()]; fd == nil || fd.Body == nil {
			f.c.unsupported(x, "method value of a host method")
		}
		_, ci.ptrRcv = sig.Recv().Type().(*types.Pointer)
		f.receiver(ci, r)
		if !ci.ptrRcv && isAgg(sig.Recv().Type()) {
			f.emit(isa.ABC(isa.CLONE, uint8(r), uint8(r), 0))
		}
	}
	cell := f.alloc(1)
	f.emit(isa.ABC(isa.NEWCELL, uint8(cell), uint8(r), 0))
	f.emit(isa.ABx(isa.CLOSURE, uint8(dst), uint16(f.c.methodValueWrapper(fn, iface, x))))
	f.emit(isa.ABC(isa.CAPREG, uint8(cell), 0, 0))
	f.next = mark
	f.reserveTo(dst + 1)
}

func (c *compiler) methodValueWrapper(fn *types.Func, iface bool, n ast.Node) int {
	sig := fn.Type().(*types.Signature)
	key := funcName(fn) + "·fm"
	if iface {
		key = types.TypeString(sig.Recv().Type(), qualifier) + "." + fn.Name() + "·fm"
	}
	if i, ok := c.wrappers[key]; ok {
		return i
	}
	np, nr := sig.Params().Len(), sig.Results().Len()
	w := c.newFunc(key, n.Pos(), nil)
	w.node = n
	w.nparams, w.nresults, w.ncaps = np, nr, 1
	c.wrappers[key] = w.idx
	w.alloc(np)
	a := w.alloc(max(np+1, nr))
	w.emit(isa.ABC(isa.GETUP, uint8(a), 0, 0))
	for k := 0; k < np; k++ {
		w.emit(isa.ABC(isa.MOVALL, uint8(a+1+k), uint8(k), 0))
	}
	if iface {
		w.emit(isa.ABx(isa.CALLI, uint8(a), uint16(c.methodID(fn.Name()))))
	} else {
		w.emit(isa.ABx(isa.CALL, uint8(a), uint16(c.funcIndex(fn))))
	}
	w.emit(isa.ABC(isa.RET, uint8(a), uint8(nr), 0))
	w.finish()
	return w.idx
}
