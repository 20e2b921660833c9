package compiler

import (
	"go/ast"
	"go/token"
	"go/types"
	"math"

	"github.com/minictr/minictr/vm/isa"
)

const (
	locReg = iota
	locCell
	locUp
	locGlobal
)

type varLoc struct {
	kind int
	idx  int
}

type loopCtx struct {
	label    string
	breaks   []int
	conts    []int
	isLoop   bool
	contPC   int // -1 until known
	brkLabel bool
}

type fstate struct {
	c        *compiler
	idx      int
	name     string
	file     string
	code     []uint32
	lines    []int32
	line     int32
	next     int
	max      int
	vars     map[*types.Var]varLoc
	captured map[*types.Var]bool
	upIdx    map[*types.Var]int
	ncaps    int
	nparams  int
	nresults int
	sig      *types.Signature
	results  []*types.Var
	resLocs  []varLoc
	hasDefer bool
	retJumps []int
	loops    []*loopCtx
	label    string
	node     ast.Node
	epilogue int
}

func (c *compiler) newFunc(name string, pos token.Pos, sig *types.Signature) *fstate {
	f := &fstate{c: c, idx: len(c.mod.Funcs), name: name, vars: map[*types.Var]varLoc{}, captured: map[*types.Var]bool{},
		upIdx: map[*types.Var]int{}, sig: sig, epilogue: -1}
	c.mod.Funcs = append(c.mod.Funcs, isa.Func{Name: name})
	f.file = c.fset.Position(pos).Filename
	f.line = int32(c.fset.Position(pos).Line)
	return f
}

func (f *fstate) setPos(n ast.Node) {
	if n == nil || !n.Pos().IsValid() {
		return
	}
	f.c.pos = n.Pos()
	f.line = int32(f.c.fset.Position(n.Pos()).Line)
}

func (f *fstate) emit(ins uint32) int {
	f.code = append(f.code, ins)
	f.lines = append(f.lines, f.line)
	if len(f.code) > 60000 {
		f.c.errorf(f.node.Pos(), "unsupported: function %s too large for 16-bit jumps", f.name)
	}
	return len(f.code) - 1
}

func (f *fstate) pc() int { return len(f.code) }

func (f *fstate) emitJump() int { return f.emit(isa.AsBx(isa.JMP, 0, 0)) }

func (f *fstate) patch(at, target int) {
	off := target - (at + 1)
	if off < math.MinInt16 || off > math.MaxInt16 {
		f.c.errorf(f.node.Pos(), "unsupported: function %s too large for 16-bit jumps", f.name)
	}
	ins := f.code[at]
	f.code[at] = isa.AsBx(isa.GetOp(ins), isa.GetA(ins), int16(off))
}

func (f *fstate) patchAll(list []int, target int) {
	for _, at := range list {
		f.patch(at, target)
	}
}

func (f *fstate) jumpTo(target int) { f.patch(f.emitJump(), target) }

// alloc reserves n consecutive registers.
func (f *fstate) alloc(n int) int {
	r := f.next
	f.next += n
	if f.next > f.max {
		f.max = f.next
	}
	if f.max > 250 {
		pos := token.NoPos
		if f.node != nil {
			pos = f.node.Pos()
		}
		f.c.errorf(pos, "unsupported: function %s needs more than 250 registers", f.name)
	}
	return r
}

func (f *fstate) reserveTo(n int) {
	if n > f.next {
		f.alloc(n - f.next)
	}
}

func (f *fstate) finish() {
	m := &f.c.mod.Funcs[f.idx]
	m.Name = f.name
	m.File = f.file
	m.NParams = f.nparams
	m.NResults = f.nresults
	if f.max < f.nresults {
		f.max = f.nresults
	}
	if f.max < f.nparams {
		f.max = f.nparams
	}
	m.NRegs = f.max + 1
	m.NCaps = f.ncaps
	m.Epilogue = f.epilogue
	if len(f.code) == 0 || isa.GetOp(f.code[len(f.code)-1]) != isa.RET && isa.GetOp(f.code[len(f.code)-1]) != isa.PANIC {
		// the end may be a jump target even when unreachable (go/types checked termination)
		r := f.alloc(f.nresults)
		for i := 0; i < f.nresults; i++ {
			f.emit(isa.ABC(isa.CLEAR, uint8(r+i), 0, 0))
		}
		f.emit(isa.ABC(isa.RET, uint8(r), uint8(f.nresults), 0))
	}
	m.NRegs = f.max + 1
	m.Code = f.code
	m.Lines = f.lines
}

func terminates(ins uint32) bool {
	op := isa.GetOp(ins)
	return op == isa.RET || op == isa.JMP || op == isa.PANIC
}

// compileDecl compiles a declared function or method.
func (c *compiler) compileDecl(i int, obj *types.Func, fd *ast.FuncDecl) {
	sig := obj.Type().(*types.Signature)
	f := &fstate{c: c, idx: i, name: funcName(obj), vars: map[*types.Var]varLoc{}, captured: map[*types.Var]bool{},
		upIdx: map[*types.Var]int{}, sig: sig, node: fd, epilogue: -1}
	f.file = c.fset.Position(fd.Pos()).Filename
	f.setPos(fd)
	f.body(fd.Type, fd.Body, sig, nil)
}

// body compiles parameters and the body of a function (declared or literal).
func (f *fstate) body(ft *ast.FuncType, body *ast.BlockStmt, sig *types.Signature, free []*types.Var) {
	c := f.c
	f.captured = c.capturedVars(f.node, body)
	var params []*types.Var
	if r := sig.Recv(); r != nil {
		if p, ok := r.Type().(*types.Pointer); ok && !isAgg(p.Elem()) {
			c.unsupported(f.node, "pointer receiver on non-struct type "+types.TypeString(r.Type(), qualifier))
		}
		params = append(params, r)
	}
	for i := 0; i < sig.Params().Len(); i++ {
		params = append(params, sig.Params().At(i))
	}
	f.nparams = len(params)
	f.nresults = sig.Results().Len()
	base := f.alloc(len(params))
	for i, p := range params {
		f.vars[p] = varLoc{locReg, base + i}
	}
	for i, v := range free {
		f.upIdx[v] = i
	}
	f.ncaps = len(free)
	// captured parameters move into cells
	for _, p := range params {
		if f.captured[p] {
			r := f.alloc(1)
			f.emit(isa.ABC(isa.NEWCELL, uint8(r), uint8(f.vars[p].idx), 0))
			f.vars[p] = varLoc{locCell, r}
		}
	}
	f.hasDefer = containsDefer(body)
	// result variables (named, or hidden when the function defers)
	for i := 0; i < sig.Results().Len(); i++ {
		rv := sig.Results().At(i)
		if rv.Name() != "" || f.hasDefer {
			f.results = append(f.results, rv)
			loc := f.declareVar(rv, nil)
			f.resLocs = append(f.resLocs, loc)
		}
	}
	f.block(body.List)
	// falling off the end
	f.setPos(&ast.Ident{NamePos: body.Rbrace})
	if f.hasDefer {
		f.retJumps = append(f.retJumps, f.emitJump())
		f.emitEpilogue()
	} else if f.nresults == 0 {
		f.emit(isa.ABC(isa.RET, 0, 0, 0))
	} else if len(f.code) == 0 || !terminates(f.code[len(f.code)-1]) {
		f.emitReturnFromVars()
	}
	f.finish()
}

func (f *fstate) emitEpilogue() {
	f.epilogue = f.pc()
	f.patchAll(f.retJumps, f.epilogue)
	f.emit(isa.ABC(isa.RUNDEFER, 0, 0, 0))
	f.emitReturnFromVars()
}

func (f *fstate) emitReturnFromVars() {
	n := len(f.resLocs)
	if n != f.nresults {
		// unnamed results without defer: unreachable end (go/types checked termination)
		f.emit(isa.ABC(isa.RET, 0, uint8(0), 0))
		if f.nresults != 0 {
			f.code = f.code[:len(f.code)-1]
			f.lines = f.lines[:len(f.lines)-1]
			r := f.alloc(f.nresults)
			for i := 0; i < f.nresults; i++ {
				f.emit(isa.ABC(isa.CLEAR, uint8(r+i), 0, 0))
			}
			f.emit(isa.ABC(isa.RET, uint8(r), uint8(f.nresults), 0))
		}
		return
	}
	r := f.alloc(n)
	for i, loc := range f.resLocs {
		f.loadVar(loc, f.results[i].Type(), r+i)
	}
	f.emit(isa.ABC(isa.RET, uint8(r), uint8(n), 0))
}

func containsDefer(body ast.Node) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			found = true
		}
		return !found
	})
	return found
}

// capturedVars lists the variables of this function that nested function literals use.
func (c *compiler) capturedVars(fn ast.Node, body *ast.BlockStmt) map[*types.Var]bool {
	out := map[*types.Var]bool{}
	if body == nil {
		return out
	}
	lo, hi := fn.Pos(), fn.End()
	ast.Inspect(body, func(n ast.Node) bool {
		lit, ok := n.(*ast.FuncLit)
		if !ok {
			return true
		}
		for _, v := range c.freeVars(lit) {
			if v.Pos() >= lo && v.Pos() < hi {
				out[v] = true
			}
		}
		return false
	})
	return out
}

// freeVars lists local variables a function literal uses but does not declare, in order.
func (c *compiler) freeVars(lit *ast.FuncLit) []*types.Var {
	var out []*types.Var
	seen := map[*types.Var]bool{}
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		v, ok := c.info.Uses[id].(*types.Var)
		if !ok || v.IsField() || seen[v] || v.Pkg() == nil || v.Parent() == v.Pkg().Scope() {
			return true
		}
		if v.Pos() >= lit.Pos() && v.Pos() < lit.End() {
			return true
		}
		seen[v] = true
		out = append(out, v)
		return true
	})
	return out
}

// declareVar gives v a register (a cell if captured) and its zero value (or init's value).
func (f *fstate) declareVar(v *types.Var, init func(dst int)) varLoc {
	r := f.alloc(1)
	if init != nil {
		init(r)
	} else {
		f.zero(v.Type(), r)
	}
	if f.captured[v] {
		cr := f.alloc(1)
		f.emit(isa.ABC(isa.NEWCELL, uint8(cr), uint8(r), 0))
		loc := varLoc{locCell, cr}
		f.vars[v] = loc
		return loc
	}
	loc := varLoc{locReg, r}
	f.vars[v] = loc
	return loc
}

func (f *fstate) zero(t types.Type, r int) {
	if isAgg(t) {
		f.emit(isa.ABx(isa.NEW, uint8(r), uint16(f.c.typeID(t))))
	} else {
		f.emit(isa.ABC(isa.CLEAR, uint8(r), 0, 0))
	}
}

func (f *fstate) move(t types.Type, dst, src int) {
	if dst == src {
		return
	}
	if isRef(t) {
		f.emit(isa.ABC(isa.MOVR, uint8(dst), uint8(src), 0))
	} else {
		f.emit(isa.ABC(isa.MOV, uint8(dst), uint8(src), 0))
	}
}

func (f *fstate) lookup(v *types.Var, n ast.Node) varLoc {
	if loc, ok := f.vars[v]; ok {
		return loc
	}
	if i, ok := f.upIdx[v]; ok {
		return varLoc{locUp, i}
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return varLoc{locGlobal, f.c.globalIdx(v)}
	}
	f.c.errorf(n.Pos(), "internal: variable %s has no location", v.Name())
	return varLoc{}
}

func (f *fstate) loadVar(loc varLoc, t types.Type, dst int) {
	switch loc.kind {
	case locReg:
		f.move(t, dst, loc.idx)
	case locCell:
		f.emit(isa.ABC(isa.LDCELL, uint8(dst), uint8(loc.idx), 0))
	case locUp:
		f.emit(isa.ABC(isa.GETUP, uint8(dst), uint8(loc.idx), 0))
	case locGlobal:
		f.emit(isa.ABx(isa.GETG, uint8(dst), uint16(loc.idx)))
	}
}

// storeVar stores register src (already converted and copied) into a variable. Aggregates are
// copied into the existing object so pointers to the variable see the new value.
func (f *fstate) storeVar(loc varLoc, t types.Type, src int) {
	if isAgg(t) {
		tmp := src
		if loc.kind != locReg {
			mark := f.next
			tmp = f.alloc(1)
			f.loadVar(loc, t, tmp)
			f.emit(isa.ABC(isa.COPYIN, uint8(tmp), uint8(src), 0))
			f.next = mark
			return
		}
		f.emit(isa.ABC(isa.COPYIN, uint8(loc.idx), uint8(src), 0))
		return
	}
	switch loc.kind {
	case locReg:
		f.move(t, loc.idx, src)
	case locCell:
		f.emit(isa.ABC(isa.STCELL, uint8(loc.idx), uint8(src), 0))
	case locUp:
		f.emit(isa.ABC(isa.SETUP, uint8(src), uint8(loc.idx), 0))
	case locGlobal:
		f.emit(isa.ABx(isa.SETG, uint8(src), uint16(loc.idx)))
	}
}

// pkgInit emits a package's variable initialisation and init functions into the entry function.
func (f *fstate) pkgInit(p *pkgInfo) {
	c := f.c
	scope := p.pkg.Scope()
	for _, name := range scope.Names() {
		if v, ok := scope.Lookup(name).(*types.Var); ok && isAgg(v.Type()) {
			mark := f.next
			r := f.alloc(1)
			f.zero(v.Type(), r)
			f.emit(isa.ABx(isa.SETG, uint8(r), uint16(c.globalIdx(v))))
			f.next = mark
		}
	}
	for _, in := range p.initOrder {
		mark := f.next
		f.node = in.Rhs
		f.setPos(in.Rhs)
		if len(in.Lhs) == 1 {
			r := f.alloc(1)
			f.exprTo(in.Rhs, r, in.Lhs[0].Type())
			if in.Lhs[0].Name() != "_" {
				f.emit(isa.ABx(isa.SETG, uint8(r), uint16(c.globalIdx(in.Lhs[0]))))
			}
		} else {
			base, _ := f.callMulti(in.Rhs)
			for i, v := range in.Lhs {
				if v.Name() != "_" {
					f.emit(isa.ABx(isa.SETG, uint8(base+i), uint16(c.globalIdx(v))))
				}
			}
		}
		f.next = mark
	}
	for _, file := range p.files {
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != "init" || fd.Recv != nil {
				continue
			}
			obj := c.info.Defs[fd.Name].(*types.Func)
			mark := f.next
			a := f.alloc(1)
			f.emit(isa.ABx(isa.CALL, uint8(a), uint16(c.funcIndex(obj))))
			f.next = mark
		}
	}
}

// readonlyRecv reports whether a value-receiver method never modifies or leaks its receiver,
// so callers may pass the receiver without copying it.
func (c *compiler) readonlyRecv(obj *types.Func) bool {
	if v, ok := c.roRecv[obj]; ok {
		return v
	}
	c.roRecv[obj] = false
	fd := c.funcDecl[obj]
	if fd == nil || fd.Body == nil || fd.Recv == nil || len(fd.Recv.List[0].Names) == 0 {
		c.roRecv[obj] = fd != nil && fd.Body != nil
		return c.roRecv[obj]
	}
	recv := c.info.Defs[fd.Recv.List[0].Names[0]]
	ok := true
	root := func(e ast.Expr) types.Object {
		for {
			switch x := e.(type) {
			case *ast.SelectorExpr:
				e = x.X
			case *ast.IndexExpr:
				e = x.X
			case *ast.ParenExpr:
				e = x.X
			case *ast.StarExpr:
				e = x.X
			case *ast.Ident:
				return c.info.Uses[x]
			default:
				return nil
			}
		}
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			for _, l := range x.Lhs {
				if root(l) == recv {
					ok = false
				}
			}
		case *ast.IncDecStmt:
			if root(x.X) == recv {
				ok = false
			}
		case *ast.UnaryExpr:
			if x.Op == token.AND && root(x.X) == recv {
				ok = false
			}
		case *ast.CallExpr:
			if sel, isSel := x.Fun.(*ast.SelectorExpr); isSel && root(sel.X) == recv {
				if s := c.info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
					ok = false
				}
			}
			for _, a := range x.Args {
				if id, isID := a.(*ast.Ident); isID && c.info.Uses[id] == recv {
					if _, isSlice := recv.Type().Underlying().(*types.Slice); isSlice {
						ok = false
					}
				}
			}
		case *ast.FuncLit:
			ast.Inspect(x, func(m ast.Node) bool {
				if id, isID := m.(*ast.Ident); isID && c.info.Uses[id] == recv {
					ok = false
				}
				return ok
			})
		case *ast.RangeStmt:
			if root(x.X) == recv {
				ok = false
			}
		}
		return ok
	})
	c.roRecv[obj] = ok
	return ok
}
