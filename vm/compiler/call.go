package compiler

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/minictr/minictr/vm/isa"
)

type callKind int

const (
	ckFunc callKind = iota
	ckHost
	ckMethod
	ckIface
	ckClosure
	ckOp
)

type callInfo struct {
	kind   callKind
	fn     *types.Func
	sig    *types.Signature
	recv   ast.Expr // method receiver expression
	path   []int    // embedded fields to the method's receiver
	host   string
	op     isa.Op
	recvT  types.Type
	ptrRcv bool
}

var opIntrinsics = map[string]isa.Op{"math.Sqrt": isa.FSQRT, "math.Floor": isa.FFLOOR, "math.Abs": isa.FABS, "runtime.Gosched": isa.GOSCHED}

func (f *fstate) classify(call *ast.CallExpr) callInfo {
	info := f.c.info
	fun := ast.Unparen(call.Fun)
	var obj types.Object
	switch x := fun.(type) {
	case *ast.Ident:
		obj = info.Uses[x]
	case *ast.SelectorExpr:
		if sel := info.Selections[x]; sel != nil {
			if sel.Kind() == types.MethodVal {
				fn := sel.Obj().(*types.Func)
				ci := callInfo{fn: fn, sig: fn.Type().(*types.Signature), recv: x.X, path: sel.Index()[:len(sel.Index())-1]}
				if isIface(fn.Type().(*types.Signature).Recv().Type()) {
					ci.kind = ckIface
					return ci
				}
				ci.kind = ckMethod
				rt := ci.sig.Recv().Type()
				_, ci.ptrRcv = rt.(*types.Pointer)
				ci.recvT = rt
				if fd := f.c.funcDecl[fn.Origin()]; fd != nil && fd.Body == nil {
					ci.kind = ckHost
					ci.host = fn.Pkg().Name() + "." + fn.Name()
				}
				return ci
			}
		} else {
			obj = info.Uses[x.Sel]
		}
	case *ast.IndexExpr, *ast.IndexListExpr:
		f.c.unsupported(call, "generic function call")
	}
	if fn, ok := obj.(*types.Func); ok {
		sig := fn.Type().(*types.Signature)
		if sig.TypeParams() != nil {
			f.c.unsupported(call, "generic function "+fn.Name())
		}
		name := ""
		if fn.Pkg() != nil {
			name = fn.Pkg().Name() + "." + fn.Name()
		}
		if op, ok := opIntrinsics[name]; ok {
			return callInfo{kind: ckOp, op: op, fn: fn, sig: sig}
		}
		if fd := f.c.funcDecl[fn.Origin()]; fd != nil && fd.Body == nil {
			return callInfo{kind: ckHost, fn: fn, sig: sig, host: name}
		}
		return callInfo{kind: ckFunc, fn: fn, sig: sig}
	}
	sig, ok := f.typeOf(fun).Underlying().(*types.Signature)
	if !ok {
		f.c.unsupported(call, "call of non-function")
	}
	return callInfo{kind: ckClosure, sig: sig}
}

// evalArgs evaluates call arguments into consecutive registers from at, converting to the
// parameter types and packing variadic arguments into a slice.
func (f *fstate) evalArgs(sig *types.Signature, call *ast.CallExpr, at int) {
	params := sig.Params()
	np := params.Len()
	args := call.Args
	// f(g()) with a multi-value g
	if len(args) == 1 && np > 1 || len(args) == 1 && sig.Variadic() && call.Ellipsis == token.NoPos {
		if tu, ok := f.typeOf(args[0]).(*types.Tuple); ok && tu.Len() > 1 {
			tmp := f.multiValue(args[0], tu.Len())
			for i := 0; i < tu.Len(); i++ {
				if sig.Variadic() && i >= np-1 {
					break
				}
				f.convertReg(tmp[i], at+i, tu.At(i).Type(), params.At(i).Type())
			}
			if sig.Variadic() {
				elem := params.At(np - 1).Type().(*types.Slice).Elem()
				k := tu.Len() - (np - 1)
				b := f.alloc(k)
				for j := 0; j < k; j++ {
					f.convertReg(tmp[np-1+j], b+j, tu.At(np-1+j).Type(), elem)
				}
				f.pack(at+np-1, b, k, elem, call)
			}
			return
		}
	}
	fixed := np
	if sig.Variadic() && call.Ellipsis == token.NoPos {
		fixed = np - 1
	}
	for i := 0; i < fixed; i++ {
		f.exprTo(args[i], at+i, params.At(i).Type())
	}
	if fixed < np {
		elem := params.At(np - 1).Type().(*types.Slice).Elem()
		extra := args[fixed:]
		if len(extra) == 0 {
			f.emit(isa.ABC(isa.CLEAR, uint8(at+np-1), 0, 0))
			return
		}
		if len(extra) > 200 {
			f.c.unsupported(call, "more than 200 variadic arguments")
		}
		mark := f.next
		b := f.alloc(len(extra))
		for j, a := range extra {
			f.exprTo(a, b+j, elem)
		}
		f.pack(at+np-1, b, len(extra), elem, call)
		f.next = mark
	}
}

func (f *fstate) pack(dst, b, n int, elem types.Type, at ast.Node) {
	switch elemClass(elem) {
	case 'b':
		f.emit(isa.ABC(isa.PACKB, uint8(dst), uint8(b), uint8(n)))
	case 'r':
		f.emit(isa.ABC(isa.PACKR, uint8(dst), uint8(b), uint8(n)))
	default:
		f.emit(isa.ABC(isa.PACK, uint8(dst), uint8(b), uint8(n)))
	}
}

// receiver evaluates a method receiver into dst: the object for pointer receivers, a copy for
// value receivers of aggregate type (unless the method never modifies it).
func (f *fstate) receiver(ci callInfo, dst int) {
	if len(ci.path) == 0 {
		f.expr(ci.recv, dst)
	} else {
		r := f.operand(ci.recv)
		t := f.typeOf(ci.recv)
		for _, fi := range ci.path {
			if p, ok := t.Underlying().(*types.Pointer); ok {
				t = p.Elem()
			}
			st := t.Underlying().(*types.Struct)
			ref, idx := structLayout(st)
			if !ref[fi] {
				f.c.unsupported(ci.recv, "promoted method through a non-struct embedded field")
			}
			f.emit(isa.ABC(isa.GETFR, uint8(dst), uint8(r), uint8(idx[fi])))
			r = dst
			t = st.Field(fi).Type()
		}
	}
	rt := ci.sig.Recv().Type()
	if !ci.ptrRcv && isAgg(rt) && !f.c.readonlyRecv(ci.fn.Origin()) && (len(ci.path) > 0 || !f.isFresh(ci.recv)) {
		f.emit(isa.ABC(isa.CLONE, uint8(dst), uint8(dst), 0))
	}
}

// call emits a call and returns the register where its results start.
func (f *fstate) call(call *ast.CallExpr) (int, *types.Tuple) {
	f.setPos(call)
	ci := f.classify(call)
	sig := ci.sig
	res := sig.Results()
	switch ci.kind {
	case ckOp:
		a := f.alloc(max(1, sig.Params().Len()))
		if ci.op == isa.GOSCHED {
			f.emit(isa.ABC(isa.GOSCHED, 0, 0, 0))
			return a, res
		}
		f.exprTo(call.Args[0], a, sig.Params().At(0).Type())
		f.emit(isa.ABC(ci.op, uint8(a), uint8(a), 0))
		return a, res
	case ckClosure:
		cl := f.operand(call.Fun)
		a := f.alloc(max(sig.Params().Len(), res.Len(), 1))
		f.evalArgs(sig, call, a)
		f.setPos(call)
		f.emit(isa.ABC(isa.CALLCL, uint8(a), uint8(cl), 0))
		f.next = a + res.Len()
		f.reserveTo(a + max(sig.Params().Len(), res.Len()))
		f.next = a + res.Len()
		return a, res
	case ckFunc, ckHost:
		n := sig.Params().Len()
		off := 0
		if ci.recv != nil {
			off = 1
		}
		a := f.alloc(max(n+off, res.Len(), 1))
		if ci.recv != nil {
			f.receiver(ci, a)
		}
		f.evalArgs(sig, call, a+off)
		f.setPos(call)
		if ci.kind == ckHost {
			f.emit(isa.ABx(isa.CALLH, uint8(a), uint16(f.c.hostIdx(call.Pos(), ci.host))))
		} else {
			f.emit(isa.ABx(isa.CALL, uint8(a), uint16(f.c.funcIndex(ci.fn))))
		}
		f.next = a + res.Len()
		return a, res
	case ckMethod:
		n := sig.Params().Len()
		a := f.alloc(max(n+1, res.Len()))
		f.receiver(ci, a)
		f.evalArgs(sig, call, a+1)
		f.setPos(call)
		f.emit(isa.ABx(isa.CALL, uint8(a), uint16(f.c.funcIndex(ci.fn))))
		f.next = a + res.Len()
		return a, res
	case ckIface:
		n := sig.Params().Len()
		a := f.alloc(max(n+1, res.Len()))
		if len(ci.path) > 0 {
			f.receiverPath(ci, a)
		} else {
			f.expr(ci.recv, a)
		}
		f.evalArgs(sig, call, a+1)
		f.setPos(call)
		f.emit(isa.ABx(isa.CALLI, uint8(a), uint16(f.c.methodID(ci.fn.Name()))))
		f.next = a + res.Len()
		return a, res
	}
	f.c.unsupported(call, "call")
	return 0, nil
}

func (f *fstate) receiverPath(ci callInfo, dst int) {
	r := f.operand(ci.recv)
	t := f.typeOf(ci.recv)
	for _, fi := range ci.path {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		st := t.Underlying().(*types.Struct)
		ref, idx := structLayout(st)
		op := isa.GETF
		if ref[fi] {
			op = isa.GETFR
		}
		f.emit(isa.ABC(op, uint8(dst), uint8(r), uint8(idx[fi])))
		r = dst
		t = st.Field(fi).Type()
	}
}

// callMulti evaluates a multi-value call; results are in consecutive registers from base.
func (f *fstate) callMulti(e ast.Expr) (int, *types.Tuple) {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		f.c.unsupported(e, "multi-value expression")
	}
	return f.call(call)
}

func (f *fstate) isConversion(call *ast.CallExpr) bool { return f.c.info.Types[call.Fun].IsType() }

func (f *fstate) builtinName(call *ast.CallExpr) string {
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if b, ok := f.c.info.Uses[id].(*types.Builtin); ok {
			return b.Name()
		}
	}
	return ""
}

func (f *fstate) callInto(call *ast.CallExpr, dst int) {
	if f.isConversion(call) {
		f.conversion(call, dst)
		return
	}
	if name := f.builtinName(call); name != "" {
		f.builtin(name, call, dst)
		return
	}
	mark := f.next
	if dst == mark-1 {
		// the destination is the newest register: call in place, no move
		f.next = dst
	}
	base, res := f.call(call)
	if res.Len() == 0 {
		f.c.unsupported(call, "use of a call without results as a value")
	}
	f.move(res.At(0).Type(), dst, base)
	f.next = mark
	f.reserveTo(dst + 1)
}

func (f *fstate) callDiscard(call *ast.CallExpr) {
	if f.isConversion(call) {
		r := f.alloc(1)
		f.conversion(call, r)
		return
	}
	if name := f.builtinName(call); name != "" {
		r := f.alloc(1)
		f.builtin(name, call, r)
		return
	}
	f.call(call)
}

func (f *fstate) conversion(call *ast.CallExpr, dst int) {
	to := f.typeOf(call.Fun)
	arg := call.Args[0]
	from := f.typeOf(arg)
	if isIface(to) {
		f.exprTo(arg, dst, to)
		return
	}
	fk, tk := kindOf(from), kindOf(to)
	switch {
	case tk == isa.KString && isInteger(from):
		r := f.operand(arg)
		f.emit(isa.ABC(isa.R2S, uint8(dst), uint8(r), 0))
	case tk == isa.KString && fk == isa.KSlice:
		r := f.operand(arg)
		if kindOf(from.Underlying().(*types.Slice).Elem()) == isa.KUint8 {
			f.emit(isa.ABC(isa.B2S, uint8(dst), uint8(r), 0))
		} else {
			f.emit(isa.ABC(isa.RS2S, uint8(dst), uint8(r), 0))
		}
	case tk == isa.KSlice && fk == isa.KString:
		r := f.operand(arg)
		if kindOf(to.Underlying().(*types.Slice).Elem()) == isa.KUint8 {
			f.emit(isa.ABC(isa.S2B, uint8(dst), uint8(r), 0))
		} else {
			f.emit(isa.ABC(isa.S2R, uint8(dst), uint8(r), 0))
		}
	case isInteger(to) && isInteger(from):
		f.expr(arg, dst)
		f.narrow(to, dst)
	case isFloat(to) && isInteger(from):
		r := f.operand(arg)
		if isSigned(from) {
			f.emit(isa.ABC(isa.I2F, uint8(dst), uint8(r), 0))
		} else {
			f.emit(isa.ABC(isa.U2F, uint8(dst), uint8(r), 0))
		}
		f.narrow(to, dst)
	case isInteger(to) && isFloat(from):
		r := f.operand(arg)
		if isSigned(to) {
			f.emit(isa.ABC(isa.F2I, uint8(dst), uint8(r), 0))
		} else {
			f.emit(isa.ABC(isa.F2U, uint8(dst), uint8(r), 0))
		}
		f.narrow(to, dst)
	case isFloat(to) && isFloat(from):
		f.expr(arg, dst)
		f.narrow(to, dst)
	case types.Identical(to.Underlying(), from.Underlying()) || fk == isa.KNil || tk == isa.KPointer:
		f.expr(arg, dst)
	default:
		f.c.unsupported(call, "conversion from "+types.TypeString(from, qualifier)+" to "+types.TypeString(to, qualifier))
	}
}

func (f *fstate) builtin(name string, call *ast.CallExpr, dst int) {
	mark := f.next
	defer func() { f.next = mark; f.reserveTo(dst + 1) }()
	args := call.Args
	switch name {
	case "len", "cap":
		t := f.typeOf(args[0]).Underlying()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem().Underlying()
		}
		if a, ok := t.(*types.Array); ok {
			f.loadConst(types.Typ[types.Int], constantInt(a.Len()), dst, call)
			return
		}
		r := f.operand(args[0])
		switch {
		case name == "len" && kindOf(t) == isa.KString:
			f.emit(isa.ABC(isa.SLEN, uint8(dst), uint8(r), 0))
		case name == "len":
			f.emit(isa.ABC(isa.LEN, uint8(dst), uint8(r), 0))
		default:
			f.emit(isa.ABC(isa.CAP, uint8(dst), uint8(r), 0))
		}
	case "append":
		st := f.typeOf(call).Underlying().(*types.Slice)
		elem := st.Elem()
		s := f.alloc(1)
		f.expr(args[0], s)
		if call.Ellipsis != token.NoPos {
			if isAgg(elem) {
				// element-wise: each appended struct is a copy
				t := f.operand(args[1])
				f.aggLoop(t, func(i, e int) {
					f.emit(isa.ABC(isa.CLONE, uint8(e), uint8(e), 0))
					f.emit(isa.ABC(isa.APPENDR, uint8(s), uint8(s), uint8(e)))
				})
				f.move(st, dst, s)
				return
			}
			r := f.operand(args[1])
			f.emit(isa.ABC(isa.APPENDS, uint8(dst), uint8(s), uint8(r)))
			return
		}
		op := map[byte]isa.Op{'n': isa.APPEND, 'b': isa.APPENDB, 'r': isa.APPENDR}[elemClass(elem)]
		cur := s
		for _, a := range args[1:] {
			v := f.alloc(1)
			f.exprTo(a, v, elem)
			f.emit(isa.ABC(op, uint8(s), uint8(cur), uint8(v)))
			f.next = v
		}
		f.move(st, dst, s)
	case "make":
		t := f.typeOf(args[0])
		switch u := t.Underlying().(type) {
		case *types.Slice:
			b := f.alloc(2)
			f.expr(args[1], b)
			if len(args) > 2 {
				f.expr(args[2], b+1)
			} else {
				f.emit(isa.ABC(isa.MOV, uint8(b+1), uint8(b), 0))
			}
			f.emit(isa.ABC(isa.MKSLICE, uint8(dst), uint8(b), 0))
			f.emit(isa.Ax(isa.EXTRA, uint32(f.c.typeID(t))))
		case *types.Map:
			if kt := kindOf(u.Key()); kt.IsRef() && kt != isa.KString {
				f.c.unsupported(call, "map key type "+types.TypeString(u.Key(), qualifier))
			}
			if len(args) > 1 {
				r := f.alloc(1)
				f.expr(args[1], r)
			}
			f.emit(isa.ABx(isa.MKMAP, uint8(dst), uint16(f.c.typeID(t))))
		case *types.Chan:
			r := f.alloc(1)
			if len(args) > 1 {
				f.expr(args[1], r)
			} else {
				f.emit(isa.AsBx(isa.LOADI, uint8(r), 0))
			}
			f.emit(isa.ABC(isa.MKCHAN, uint8(dst), uint8(r), 0))
		default:
			f.c.unsupported(call, "make of "+types.TypeString(t, qualifier))
		}
	case "new":
		t := f.typeOf(args[0])
		if !isAgg(t) {
			f.c.unsupported(call, "new of non-struct type "+types.TypeString(t, qualifier))
		}
		f.emit(isa.ABx(isa.NEW, uint8(dst), uint16(f.c.typeID(t))))
	case "delete":
		m := f.operand(args[0])
		k := f.alloc(1)
		f.exprTo(args[1], k, f.typeOf(args[0]).Underlying().(*types.Map).Key())
		f.emit(isa.ABC(isa.MAPDEL, uint8(m), uint8(k), 0))
	case "copy":
		d := f.operand(args[0])
		s := f.operand(args[1])
		if st, ok := f.typeOf(args[0]).Underlying().(*types.Slice); ok && isAgg(st.Elem()) {
			// snapshot copies of the source (the slices may overlap), then copy into the
			// destination's elements
			n := f.alloc(1)
			f.emit(isa.ABC(isa.LEN, uint8(n), uint8(d), 0))
			m := f.alloc(1)
			f.emit(isa.ABC(isa.LEN, uint8(m), uint8(s), 0))
			f.emit(isa.ABC(isa.IFLE, uint8(n), uint8(m), 0))
			j := f.emitJump()
			f.emit(isa.ABC(isa.MOV, uint8(n), uint8(m), 0))
			f.patch(j, f.pc())
			lohi := f.alloc(2)
			f.emit(isa.AsBx(isa.LOADI, uint8(lohi), 0))
			f.emit(isa.ABC(isa.MOV, uint8(lohi+1), uint8(n), 0))
			src := f.alloc(1)
			f.emit(isa.ABC(isa.SLICE, uint8(src), uint8(s), uint8(lohi)))
			snap := f.alloc(1)
			f.emit(isa.ABC(isa.CLEAR, uint8(snap), 0, 0))
			f.aggLoop(src, func(i, e int) {
				f.emit(isa.ABC(isa.CLONE, uint8(e), uint8(e), 0))
				f.emit(isa.ABC(isa.APPENDR, uint8(snap), uint8(snap), uint8(e)))
			})
			f.aggLoop(snap, func(i, e int) {
				t := f.alloc(1)
				f.emit(isa.ABC(isa.IDXR, uint8(t), uint8(d), uint8(i)))
				f.emit(isa.ABC(isa.COPYIN, uint8(t), uint8(e), 0))
				f.next = t
			})
			f.emit(isa.ABC(isa.MOV, uint8(dst), uint8(n), 0))
			return
		}
		f.emit(isa.ABC(isa.COPY, uint8(dst), uint8(d), uint8(s)))
	case "panic":
		r := f.alloc(1)
		f.exprTo(args[0], r, types.NewInterfaceType(nil, nil))
		f.setPos(call)
		f.emit(isa.ABC(isa.PANIC, uint8(r), 0, 0))
	case "recover":
		f.emit(isa.ABC(isa.RECOVER, uint8(dst), 0, 0))
	case "close":
		r := f.operand(args[0])
		f.emit(isa.ABC(isa.CLOSECH, uint8(r), 0, 0))
	case "print", "println":
		a := f.alloc(1)
		b := f.alloc(max(1, len(args)))
		for i, x := range args {
			f.exprTo(x, b+i, types.NewInterfaceType(nil, nil))
		}
		f.emit(isa.ABC(isa.PACKR, uint8(a), uint8(b), uint8(len(args))))
		h := "fmt.Sprint"
		if name == "println" {
			h = "fmt.Sprintln"
		}
		f.emit(isa.ABx(isa.CALLH, uint8(a), uint16(f.c.hostIdx(call.Pos(), h))))
		f.emit(isa.ABx(isa.CALLH, uint8(a), uint16(f.c.hostIdx(call.Pos(), "builtin.print"))))
	case "min", "max":
		t := f.typeOf(call)
		f.expr(args[0], dst)
		for _, x := range args[1:] {
			r := f.operand(x)
			// keep dst unless r is smaller (min) / larger (max)
			var a, b int = r, dst
			if name == "max" {
				a, b = dst, r
			}
			switch {
			case isFloat(t):
				c := f.alloc(1)
				f.emit(isa.ABC(isa.FLT, uint8(c), uint8(a), uint8(b)))
				f.emit(isa.ABC(isa.IFF, uint8(c), 0, 0))
			case kindOf(t) == isa.KString:
				c := f.alloc(1)
				f.emit(isa.ABC(isa.SLT, uint8(c), uint8(a), uint8(b)))
				f.emit(isa.ABC(isa.IFF, uint8(c), 0, 0))
			case isSigned(t):
				f.emit(isa.ABC(isa.IFLE, uint8(b), uint8(a), 0))
			default:
				f.emit(isa.ABC(isa.IFLEU, uint8(b), uint8(a), 0))
			}
			j := f.emitJump()
			f.move(t, dst, r)
			f.patch(j, f.pc())
		}
	default:
		f.c.unsupported(call, "builtin "+name)
	}
}

// deferGo compiles defer f(args) and go f(args): the function value and its arguments are
// evaluated now, the call happens later.
func (f *fstate) deferGo(call *ast.CallExpr, op isa.Op) {
	f.setPos(call)
	what := "defer"
	if op == isa.GO {
		what = "go"
	}
	if f.isConversion(call) {
		f.c.unsupported(call, what+" of a conversion")
	}
	a := f.alloc(1)
	nargs := 0
	if name := f.builtinName(call); name != "" {
		switch name {
		case "close", "panic":
			f.emit(isa.ABx(isa.CLOSURE, uint8(a), uint16(f.c.builtinWrapper(name, call))))
			r := f.alloc(1)
			if name == "panic" {
				f.exprTo(call.Args[0], r, types.NewInterfaceType(nil, nil))
			} else {
				f.expr(call.Args[0], r)
			}
			nargs = 1
		default:
			f.c.unsupported(call, what+" of builtin "+name)
		}
		f.emit(isa.ABC(op, uint8(a), uint8(nargs), 0))
		return
	}
	ci := f.classify(call)
	sig := ci.sig
	np := sig.Params().Len()
	switch ci.kind {
	case ckFunc:
		f.emit(isa.ABx(isa.CLOSURE, uint8(a), uint16(f.c.funcIndex(ci.fn))))
		f.alloc(np)
		f.evalArgs(sig, call, a+1)
		nargs = np
	case ckHost:
		if ci.recv != nil {
			f.c.unsupported(call, what+" of a host method")
		}
		f.emit(isa.ABx(isa.CLOSURE, uint8(a), uint16(f.c.hostWrapper(ci.fn, call))))
		f.alloc(np)
		f.evalArgs(sig, call, a+1)
		nargs = np
	case ckMethod:
		f.emit(isa.ABx(isa.CLOSURE, uint8(a), uint16(f.c.funcIndex(ci.fn))))
		f.alloc(np + 1)
		f.receiver(ci, a+1)
		f.evalArgs(sig, call, a+2)
		nargs = np + 1
	case ckClosure:
		f.expr(call.Fun, a)
		f.alloc(np)
		f.evalArgs(sig, call, a+1)
		nargs = np
	default:
		f.c.unsupported(call, what+" of this call (interface method or intrinsic); wrap it in a func literal")
	}
	f.setPos(call)
	f.emit(isa.ABC(op, uint8(a), uint8(nargs), 0))
}

func (c *compiler) builtinWrapper(name string, n ast.Node) int {
	key := "builtin." + name
	if i, ok := c.wrappers[key]; ok {
		return i
	}
	w := c.newFunc(key+"·wrapper", n.Pos(), nil)
	w.node = n
	w.nparams = 1
	w.alloc(1)
	if name == "close" {
		w.emit(isa.ABC(isa.CLOSECH, 0, 0, 0))
		w.emit(isa.ABC(isa.RET, 0, 0, 0))
	} else {
		w.emit(isa.ABC(isa.PANIC, 0, 0, 0))
	}
	w.finish()
	c.wrappers[key] = w.idx
	return w.idx
}

// aggLoop emits a loop over the elements of the reference slice in register sl; body gets the
// index and element registers.
func (f *fstate) aggLoop(sl int, body func(i, e int)) {
	mark := f.next
	n := f.alloc(1)
	f.emit(isa.ABC(isa.LEN, uint8(n), uint8(sl), 0))
	i := f.alloc(1)
	f.emit(isa.AsBx(isa.LOADI, uint8(i), 0))
	f.emit(isa.ABC(isa.IFLE, uint8(n), uint8(i), 0))
	exit := f.emitJump()
	top := f.pc()
	e := f.alloc(1)
	f.emit(isa.ABC(isa.IDXR, uint8(e), uint8(sl), uint8(i)))
	body(i, e)
	f.emit(isa.ABC(isa.FORLT, uint8(i), uint8(n), 1))
	f.jumpTo(top)
	f.patch(exit, f.pc())
	f.next = mark
}
