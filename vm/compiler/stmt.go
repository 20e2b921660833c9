package compiler

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"

	"github.com/minictr/minictr/vm/isa"
)

func (f *fstate) block(list []ast.Stmt) {
	mark := f.next
	for _, s := range list {
		f.stmt(s)
	}
	f.next = mark
}

func (f *fstate) stmt(s ast.Stmt) {
	f.setPos(s)
	f.node = s
	mark := f.next
	switch s := s.(type) {
	case *ast.EmptyStmt:
	case *ast.BlockStmt:
		f.block(s.List)
	case *ast.ExprStmt:
		f.exprStmt(s.X)
		f.next = mark
	case *ast.AssignStmt:
		f.assign(s)
		if s.Tok != token.DEFINE {
			f.next = mark
		}
	case *ast.IncDecStmt:
		f.incDec(s)
		f.next = mark
	case *ast.DeclStmt:
		f.declStmt(s)
	case *ast.IfStmt:
		f.ifStmt(s)
		f.next = mark
	case *ast.ForStmt:
		f.forStmt(s)
		f.next = mark
	case *ast.RangeStmt:
		f.rangeStmt(s)
		f.next = mark
	case *ast.SwitchStmt:
		f.switchStmt(s)
		f.next = mark
	case *ast.TypeSwitchStmt:
		f.typeSwitch(s)
		f.next = mark
	case *ast.SelectStmt:
		f.selectStmt(s)
		f.next = mark
	case *ast.BranchStmt:
		f.branch(s)
	case *ast.LabeledStmt:
		f.label = s.Label.Name
		switch s.Stmt.(type) {
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
		default:
			f.c.unsupported(s, "label on a statement that is not a loop, switch or select")
		}
		f.stmt(s.Stmt)
	case *ast.ReturnStmt:
		f.returnStmt(s)
		f.next = mark
	case *ast.DeferStmt:
		f.deferGo(s.Call, isa.DEFER)
		f.next = mark
	case *ast.GoStmt:
		f.deferGo(s.Call, isa.GO)
		f.next = mark
	case *ast.SendStmt:
		ch := f.operand(s.Chan)
		ct := f.typeOf(s.Chan).Underlying().(*types.Chan)
		v := f.alloc(1)
		f.exprTo(s.Value, v, ct.Elem())
		f.emit(isa.ABC(isa.SEND, uint8(ch), uint8(v), 0))
		f.next = mark
	case nil:
	default:
		f.c.unsupported(s, "statement "+nodeName(s))
	}
}

func nodeName(n ast.Node) string {
	if br, ok := n.(*ast.BranchStmt); ok {
		return br.Tok.String()
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
}

func (f *fstate) exprStmt(e ast.Expr) {
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		f.callDiscard(x)
	case *ast.UnaryExpr:
		if x.Op == token.ARROW {
			r := f.alloc(1)
			f.expr(x, r)
			return
		}
		f.c.unsupported(e, "expression statement")
	default:
		f.c.unsupported(e, "expression statement")
	}
}

func (f *fstate) declStmt(s *ast.DeclStmt) {
	gd, ok := s.Decl.(*ast.GenDecl)
	if !ok {
		f.c.unsupported(s, "declaration")
	}
	switch gd.Tok {
	case token.CONST, token.TYPE:
		return
	case token.VAR:
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			f.setPos(vs)
			if len(vs.Values) == 0 {
				for _, n := range vs.Names {
					if v, ok := f.c.info.Defs[n].(*types.Var); ok && n.Name != "_" {
						f.declareVar(v, nil)
					}
				}
				continue
			}
			f.defineList(vs.Names, vs.Values)
		}
	}
}

// defineList declares names with values (x, y := a, b; var x, y = f()).
func (f *fstate) defineList(names []*ast.Ident, values []ast.Expr) {
	info := f.c.info
	if len(values) == 1 && len(names) > 1 {
		tmp := f.multiValue(values[0], len(names))
		for i, n := range names {
			v, _ := info.Defs[n].(*types.Var)
			if v == nil || n.Name == "_" {
				continue
			}
			src := tmp[i]
			f.declareVar(v, func(dst int) { f.convertReg(src, dst, tmp0Type(f, values[0], i), v.Type()) })
		}
		return
	}
	// evaluate all values first (x, y := y, x), then declare
	regs := make([]int, len(values))
	for i, val := range values {
		var t types.Type
		if v, ok := info.Defs[names[i]].(*types.Var); ok && v != nil {
			t = v.Type()
		} else if v, ok := info.Uses[names[i]].(*types.Var); ok {
			t = v.Type()
		} else {
			t = f.typeOf(val)
		}
		regs[i] = f.alloc(1)
		f.exprTo(val, regs[i], t)
	}
	for i, n := range names {
		if n.Name == "_" {
			continue
		}
		if v, ok := info.Defs[n].(*types.Var); ok && v != nil {
			if !f.captured[v] {
				f.vars[v] = varLoc{locReg, regs[i]}
			} else {
				cr := f.alloc(1)
				f.emit(isa.ABC(isa.NEWCELL, uint8(cr), uint8(regs[i]), 0))
				f.vars[v] = varLoc{locCell, cr}
			}
		} else if v, ok := info.Uses[n].(*types.Var); ok {
			// redeclared in := with at least one new variable: plain assignment
			f.storeVar(f.lookup(v, n), v.Type(), regs[i])
		}
	}
}

func tmp0Type(f *fstate, e ast.Expr, i int) types.Type {
	t := f.typeOf(e)
	if tu, ok := t.(*types.Tuple); ok {
		return tu.At(i).Type()
	}
	return f.commaOkTypes(e)[i]
}

// commaOkTypes gives the two result types of v, ok := m[k] / x.(T) / <-ch.
func (f *fstate) commaOkTypes(e ast.Expr) []types.Type {
	e = ast.Unparen(e)
	var vt types.Type
	switch x := e.(type) {
	case *ast.IndexExpr:
		vt = f.typeOf(x.X).Underlying().(*types.Map).Elem()
	case *ast.TypeAssertExpr:
		vt = f.typeOf(x.Type)
	case *ast.UnaryExpr:
		vt = f.typeOf(x.X).Underlying().(*types.Chan).Elem()
	default:
		f.c.unsupported(e, "multi-value expression")
	}
	return []types.Type{vt, types.Typ[types.Bool]}
}

// multiValue evaluates an expression yielding n values into consecutive registers.
func (f *fstate) multiValue(e ast.Expr, n int) []int {
	e = ast.Unparen(e)
	out := make([]int, n)
	switch x := e.(type) {
	case *ast.CallExpr:
		base, _ := f.callMulti(x)
		for i := range out {
			out[i] = base + i
		}
		return out
	case *ast.IndexExpr:
		r := f.alloc(2)
		mp := f.operand(x.X)
		mt := f.typeOf(x.X).Underlying().(*types.Map)
		k := f.alloc(1)
		f.exprTo(x.Index, k, mt.Key())
		f.emit(isa.ABC(isa.MAPGET, uint8(r), uint8(mp), uint8(k)))
		if isAgg(mt.Elem()) {
			f.emit(isa.ABC(isa.CLONE, uint8(r), uint8(r), 0))
		}
		out[0], out[1] = r, r+1
	case *ast.TypeAssertExpr:
		r := f.alloc(2)
		f.expr(x.X, r)
		t := f.typeOf(x.Type)
		if isIface(t) {
			f.emit(isa.ABx(isa.ASSERTI2, uint8(r), uint16(f.c.typeID(t))))
		} else {
			f.emit(isa.ABx(isa.ASSERT2, uint8(r), uint16(f.c.typeID(t))))
			if isAgg(t) {
				f.emit(isa.ABC(isa.CLONE, uint8(r), uint8(r), 0))
			}
		}
		out[0], out[1] = r, r+1
	case *ast.UnaryExpr:
		r := f.alloc(2)
		ch := f.operand(x.X)
		f.emit(isa.ABC(isa.RECV2, uint8(r), uint8(ch), 0))
		out[0], out[1] = r, r+1
	default:
		f.c.unsupported(e, "multi-value expression")
	}
	return out
}

// convertReg moves a value of type from into dst as type to (boxing into an interface).
func (f *fstate) convertReg(src, dst int, from, to types.Type) {
	if isIface(to) && !isIface(from) {
		f.move(from, dst, src)
		if kindOf(from) == isa.KNil {
			f.emit(isa.ABC(isa.CLEAR, uint8(dst), 0, 0))
			return
		}
		f.emit(isa.ABx(isa.BOX, uint8(dst), uint16(f.c.typeID(from))))
		return
	}
	f.move(to, dst, src)
}

func (f *fstate) assign(s *ast.AssignStmt) {
	info := f.c.info
	switch s.Tok {
	case token.DEFINE:
		names := make([]*ast.Ident, len(s.Lhs))
		for i, l := range s.Lhs {
			names[i] = l.(*ast.Ident)
		}
		f.defineList(names, s.Rhs)
		return
	case token.ASSIGN:
		if len(s.Rhs) == 1 && len(s.Lhs) > 1 {
			tmp := f.multiValue(s.Rhs[0], len(s.Lhs))
			for i, l := range s.Lhs {
				if isBlank(l) {
					continue
				}
				lt := f.typeOf(l)
				r := f.alloc(1)
				f.convertReg(tmp[i], r, tmp0Type(f, s.Rhs[0], i), lt)
				f.store(l, r)
			}
			return
		}
		if len(s.Lhs) == 1 {
			l := s.Lhs[0]
			if isBlank(l) {
				r := f.alloc(1)
				f.expr(s.Rhs[0], r)
				return
			}
			// fast path: a scalar local computed in place
			if id, ok := ast.Unparen(l).(*ast.Ident); ok {
				if v, ok := info.Uses[id].(*types.Var); ok {
					if loc, ok := f.vars[v]; ok && loc.kind == locReg && !isRef(v.Type()) && inPlaceOK(s.Rhs[0]) {
						f.exprTo(s.Rhs[0], loc.idx, v.Type())
						return
					}
				}
			}
			r := f.alloc(1)
			f.exprTo(s.Rhs[0], r, f.typeOf(l))
			f.store(l, r)
			return
		}
		regs := make([]int, len(s.Rhs))
		for i, r := range s.Rhs {
			regs[i] = f.alloc(1)
			if isBlank(s.Lhs[i]) {
				f.expr(r, regs[i])
			} else {
				f.exprTo(r, regs[i], f.typeOf(s.Lhs[i]))
			}
		}
		for i, l := range s.Lhs {
			if !isBlank(l) {
				f.store(l, regs[i])
			}
		}
		return
	}
	// op-assign: x op= y
	op := map[token.Token]token.Token{token.ADD_ASSIGN: token.ADD, token.SUB_ASSIGN: token.SUB, token.MUL_ASSIGN: token.MUL,
		token.QUO_ASSIGN: token.QUO, token.REM_ASSIGN: token.REM, token.AND_ASSIGN: token.AND, token.OR_ASSIGN: token.OR,
		token.XOR_ASSIGN: token.XOR, token.SHL_ASSIGN: token.SHL, token.SHR_ASSIGN: token.SHR, token.AND_NOT_ASSIGN: token.AND_NOT}[s.Tok]
	l := s.Lhs[0]
	lt := f.typeOf(l)
	if id, ok := ast.Unparen(l).(*ast.Ident); ok {
		if v, ok := info.Uses[id].(*types.Var); ok {
			if loc, ok := f.vars[v]; ok && loc.kind == locReg {
				f.binaryInto(op, lt, loc.idx, loc.idx, s.Rhs[0])
				return
			}
		}
	}
	// general: load, operate, store (index operands are evaluated twice only if pure)
	cur := f.alloc(1)
	f.expr(l, cur)
	f.binaryInto(op, lt, cur, cur, s.Rhs[0])
	f.store(l, cur)
}

// inPlaceOK reports whether an expression may be evaluated directly into the register of a
// variable it may also read (operands are all read before the destination is written).
func inPlaceOK(e ast.Expr) bool {
	switch x := ast.Unparen(e).(type) {
	case *ast.BinaryExpr:
		return x.Op != token.LAND && x.Op != token.LOR
	case *ast.UnaryExpr, *ast.BasicLit, *ast.Ident, *ast.SelectorExpr, *ast.IndexExpr:
		return true
	case *ast.CallExpr:
		if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok && (id.Name == "min" || id.Name == "max") {
			return false
		}
		return true
	}
	return false
}

func isBlank(e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && id.Name == "_"
}

// store writes register src (already of the target's type, aggregates already copied) to an
// assignable expression.
func (f *fstate) store(l ast.Expr, src int) {
	info := f.c.info
	l = ast.Unparen(l)
	lt := f.typeOf(l)
	switch x := l.(type) {
	case *ast.Ident:
		v, ok := info.Uses[x].(*types.Var)
		if !ok {
			v, _ = info.Defs[x].(*types.Var)
		}
		if v == nil {
			f.c.unsupported(l, "assignment target")
		}
		f.storeVar(f.lookup(v, x), v.Type(), src)
	case *ast.IndexExpr:
		xt := f.typeOf(x.X).Underlying()
		if p, ok := xt.(*types.Pointer); ok {
			xt = p.Elem().Underlying()
		}
		switch t := xt.(type) {
		case *types.Map:
			mp := f.operand(x.X)
			k := f.alloc(1)
			f.exprTo(x.Index, k, t.Key())
			f.emit(isa.ABC(isa.MAPSET, uint8(mp), uint8(k), uint8(src)))
		case *types.Slice:
			s := f.operand(x.X)
			i := f.intOperand(x.Index)
			if isAgg(t.Elem()) {
				tmp := f.alloc(1)
				f.emit(isa.ABC(isa.IDXR, uint8(tmp), uint8(s), uint8(i)))
				f.emit(isa.ABC(isa.COPYIN, uint8(tmp), uint8(src), 0))
				return
			}
			f.emit(isa.ABC(setIdxOp(t.Elem()), uint8(s), uint8(i), uint8(src)))
		case *types.Array:
			s := f.operand(x.X)
			i := f.intOperand(x.Index)
			if isAgg(t.Elem()) {
				tmp := f.alloc(1)
				f.emit(isa.ABC(isa.AGETR, uint8(tmp), uint8(s), uint8(i)))
				f.emit(isa.ABC(isa.COPYIN, uint8(tmp), uint8(src), 0))
				return
			}
			op := isa.ASET
			if isRef(t.Elem()) {
				op = isa.ASETR
			}
			f.emit(isa.ABC(op, uint8(s), uint8(i), uint8(src)))
		default:
			f.c.unsupported(l, "assignment to index of "+types.TypeString(xt, qualifier))
		}
	case *ast.SelectorExpr:
		sel := info.Selections[x]
		if sel == nil {
			// package-qualified variable
			if v, ok := info.Uses[x.Sel].(*types.Var); ok {
				f.storeVar(f.lookup(v, x), v.Type(), src)
				return
			}
			f.c.unsupported(l, "assignment target")
		}
		obj, fidx, ref := f.fieldPath(x)
		if isAgg(lt) {
			tmp := f.alloc(1)
			f.emit(isa.ABC(isa.GETFR, uint8(tmp), uint8(obj), uint8(fidx)))
			f.emit(isa.ABC(isa.COPYIN, uint8(tmp), uint8(src), 0))
			return
		}
		op := isa.SETF
		if ref {
			op = isa.SETFR
		}
		f.emit(isa.ABC(op, uint8(obj), uint8(fidx), uint8(src)))
	case *ast.StarExpr:
		p := f.operand(x.X)
		if !isAgg(lt) {
			f.c.unsupported(l, "pointer to non-struct type")
		}
		f.emit(isa.ABC(isa.COPYIN, uint8(p), uint8(src), 0))
	default:
		f.c.unsupported(l, "assignment target")
	}
}

func setIdxOp(elem types.Type) isa.Op {
	switch elemClass(elem) {
	case 'b':
		return isa.SETIDXB
	case 'r':
		return isa.SETIDXR
	}
	return isa.SETIDX
}

func (f *fstate) incDec(s *ast.IncDecStmt) {
	t := f.typeOf(s.X)
	op := token.ADD
	if s.Tok == token.DEC {
		op = token.SUB
	}
	one := &ast.BasicLit{ValuePos: s.Pos(), Kind: token.INT, Value: "1"}
	f.c.info.Types[one] = types.TypeAndValue{Type: t, Value: constant.MakeInt64(1)}
	if id, ok := ast.Unparen(s.X).(*ast.Ident); ok {
		if v, ok := f.c.info.Uses[id].(*types.Var); ok {
			if loc, ok := f.vars[v]; ok && loc.kind == locReg {
				f.binaryInto(op, t, loc.idx, loc.idx, one)
				return
			}
		}
	}
	cur := f.alloc(1)
	f.expr(s.X, cur)
	f.binaryInto(op, t, cur, cur, one)
	f.store(s.X, cur)
}

func (f *fstate) ifStmt(s *ast.IfStmt) {
	mark := f.next
	if s.Init != nil {
		f.stmt(s.Init)
	}
	f.setPos(s)
	jf := f.condJump(s.Cond, false)
	f.block(s.Body.List)
	if s.Else != nil {
		end := f.emitJump()
		f.patchAll(jf, f.pc())
		f.stmt(s.Else)
		f.patch(end, f.pc())
	} else {
		f.patchAll(jf, f.pc())
	}
	f.next = mark
}

func (f *fstate) pushLoop(isLoop bool) *loopCtx {
	l := &loopCtx{label: f.label, isLoop: isLoop, contPC: -1}
	f.label = ""
	f.loops = append(f.loops, l)
	return l
}

func (f *fstate) popLoop(l *loopCtx, contPC, breakPC int) {
	f.patchAll(l.conts, contPC)
	f.patchAll(l.breaks, breakPC)
	f.loops = f.loops[:len(f.loops)-1]
}

func (f *fstate) branch(s *ast.BranchStmt) {
	switch s.Tok {
	case token.BREAK, token.CONTINUE:
		for i := len(f.loops) - 1; i >= 0; i-- {
			l := f.loops[i]
			if s.Label != nil && l.label != s.Label.Name {
				continue
			}
			if s.Tok == token.CONTINUE {
				if !l.isLoop {
					continue
				}
				l.conts = append(l.conts, f.emitJump())
			} else {
				l.breaks = append(l.breaks, f.emitJump())
			}
			return
		}
		f.c.errorf(s.Pos(), "%s outside loop", s.Tok)
	case token.FALLTHROUGH:
		// handled by switchStmt (the clause body falls into the next one)
	default:
		f.c.unsupported(s, s.Tok.String()+" statement")
	}
}

// simpleIntVar returns the register of a non-captured 64-bit integer local.
func (f *fstate) simpleIntVar(e ast.Expr) (int, bool) {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return 0, false
	}
	v, ok := f.c.info.Uses[id].(*types.Var)
	if !ok {
		return 0, false
	}
	loc, ok := f.vars[v]
	if !ok || loc.kind != locReg {
		return 0, false
	}
	switch kindOf(v.Type()) {
	case isa.KInt, isa.KInt64:
		return loc.idx, true
	}
	return 0, false
}

func (f *fstate) forStmt(s *ast.ForStmt) {
	mark := f.next
	if s.Init != nil {
		f.stmt(s.Init)
	}
	f.setPos(s)
	l := f.pushLoop(true)
	// loop variables declared by init that closures capture get a fresh cell per iteration
	var perIter []varLoc
	if as, ok := s.Init.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
		for _, lh := range as.Lhs {
			if v, ok := f.c.info.Defs[lh.(*ast.Ident)].(*types.Var); ok && f.captured[v] {
				perIter = append(perIter, f.vars[v])
			}
		}
	}
	// FORLT superinstruction: for i := ...; i < n; i++ (or i += k)
	var iReg, nReg, step int
	fused := false
	if be, ok := ast.Unparen(s.Cond).(*ast.BinaryExpr); ok && be.Op == token.LSS && s.Post != nil && len(perIter) == 0 {
		if ir, ok := f.simpleIntVar(be.X); ok {
			step = postStep(f, s.Post, be.X)
			if step != 0 {
				if nr, ok := f.simpleIntVar(be.Y); ok {
					iReg, nReg, fused = ir, nr, true
				} else if tv := f.c.info.Types[be.Y]; tv.Value != nil {
					if _, ok := constInt(tv.Value); ok {
						nReg = f.alloc(1)
						f.expr(be.Y, nReg)
						iReg, fused = ir, true
					}
				}
			}
		}
	}
	if fused {
		f.emit(isa.ABC(isa.IFLE, uint8(nReg), uint8(iReg), 0))
		exit := f.emitJump()
		top := f.pc()
		f.block(s.Body.List)
		cont := f.pc()
		f.setPos(s)
		f.emit(isa.ABC(isa.FORLT, uint8(iReg), uint8(nReg), uint8(int8(step))))
		f.jumpTo(top)
		end := f.pc()
		f.patch(exit, end)
		f.popLoop(l, cont, end)
		f.next = mark
		return
	}
	var toCheck int
	if s.Cond != nil {
		toCheck = f.emitJump()
	}
	top := f.pc()
	f.block(s.Body.List)
	cont := f.pc()
	for _, loc := range perIter {
		t := f.alloc(1)
		f.emit(isa.ABC(isa.LDCELL, uint8(t), uint8(loc.idx), 0))
		f.emit(isa.ABC(isa.NEWCELL, uint8(loc.idx), uint8(t), 0))
		f.next--
	}
	if s.Post != nil {
		f.stmt(s.Post)
	}
	f.setPos(s)
	if s.Cond != nil {
		f.patch(toCheck, f.pc())
		jt := f.condJump(s.Cond, true)
		f.patchAll(jt, top)
	} else {
		f.jumpTo(top)
	}
	f.popLoop(l, cont, f.pc())
	f.next = mark
}

// postStep recognises i++, i += k (small constant k) as the post statement of a loop over i.
func postStep(f *fstate, post ast.Stmt, iv ast.Expr) int {
	id, _ := ast.Unparen(iv).(*ast.Ident)
	switch p := post.(type) {
	case *ast.IncDecStmt:
		if x, ok := ast.Unparen(p.X).(*ast.Ident); ok && id != nil && x.Name == id.Name && p.Tok == token.INC &&
			f.c.info.Uses[x] == f.c.info.Uses[id] {
			return 1
		}
	case *ast.AssignStmt:
		if p.Tok != token.ADD_ASSIGN || len(p.Lhs) != 1 {
			return 0
		}
		x, ok := ast.Unparen(p.Lhs[0]).(*ast.Ident)
		if !ok || id == nil || f.c.info.Uses[x] != f.c.info.Uses[id] {
			return 0
		}
		if tv := f.c.info.Types[p.Rhs[0]]; tv.Value != nil {
			if k, ok := constInt(tv.Value); ok && k > 0 && k < 128 {
				return int(k)
			}
		}
	}
	return 0
}

// iterVar binds a range iteration variable (define) or assigns it.
func (f *fstate) iterAssign(s *ast.RangeStmt, e ast.Expr, src int, t types.Type) {
	if e == nil || isBlank(e) {
		return
	}
	if s.Tok == token.DEFINE {
		v := f.c.info.Defs[e.(*ast.Ident)].(*types.Var)
		loc, ok := f.vars[v]
		if !ok {
			if f.captured[v] {
				cr := f.alloc(1)
				loc = varLoc{locCell, cr}
			} else {
				loc = varLoc{locReg, f.alloc(1)}
			}
			f.vars[v] = loc
		}
		if loc.kind == locCell {
			f.emit(isa.ABC(isa.NEWCELL, uint8(loc.idx), uint8(src), 0))
		} else {
			f.move(t, loc.idx, src)
		}
		return
	}
	f.store(e, src)
}

func (f *fstate) rangeStmt(s *ast.RangeStmt) {
	mark := f.next
	xt := f.typeOf(s.X)
	f.setPos(s)
	// pre-declare iteration variables so their registers live outside the body
	if s.Tok == token.DEFINE {
		for _, e := range []ast.Expr{s.Key, s.Value} {
			if e == nil || isBlank(e) {
				continue
			}
			v := f.c.info.Defs[e.(*ast.Ident)].(*types.Var)
			if f.captured[v] {
				f.vars[v] = varLoc{locCell, f.alloc(1)}
			} else {
				f.vars[v] = varLoc{locReg, f.alloc(1)}
			}
		}
	}
	intLoop := func(n int, body func(ctr int)) {
		ctr := f.alloc(1)
		f.emit(isa.AsBx(isa.LOADI, uint8(ctr), 0))
		f.emit(isa.ABC(isa.IFLE, uint8(n), uint8(ctr), 0))
		exit := f.emitJump()
		l := f.pushLoop(true)
		top := f.pc()
		body(ctr)
		f.block(s.Body.List)
		cont := f.pc()
		f.setPos(s)
		f.emit(isa.ABC(isa.FORLT, uint8(ctr), uint8(n), 1))
		f.jumpTo(top)
		end := f.pc()
		f.patch(exit, end)
		f.popLoop(l, cont, end)
	}
	switch t := xt.Underlying().(type) {
	case *types.Basic:
		if t.Info()&types.IsInteger != 0 {
			n := f.alloc(1)
			f.expr(s.X, n)
			intLoop(n, func(ctr int) { f.iterAssign(s, s.Key, ctr, xt) })
		} else if t.Info()&types.IsString != 0 {
			str := f.alloc(1)
			f.expr(s.X, str)
			n := f.alloc(1)
			f.emit(isa.ABC(isa.SLEN, uint8(n), uint8(str), 0))
			idx := f.alloc(1)
			rw := f.alloc(2)
			f.emit(isa.AsBx(isa.LOADI, uint8(idx), 0))
			f.emit(isa.ABC(isa.IFLE, uint8(n), uint8(idx), 0))
			exit := f.emitJump()
			l := f.pushLoop(true)
			top := f.pc()
			f.emit(isa.ABC(isa.SNEXT, uint8(rw), uint8(str), uint8(idx)))
			f.iterAssign(s, s.Key, idx, types.Typ[types.Int])
			f.iterAssign(s, s.Value, rw, types.Typ[types.Int32])
			f.block(s.Body.List)
			cont := f.pc()
			f.setPos(s)
			f.emit(isa.ABC(isa.ADD, uint8(idx), uint8(idx), uint8(rw+1)))
			f.emit(isa.ABC(isa.IFLT, uint8(idx), uint8(n), 0))
			f.jumpTo(top)
			end := f.pc()
			f.patch(exit, end)
			f.popLoop(l, cont, end)
		} else {
			f.c.unsupported(s, "range over "+types.TypeString(xt, qualifier))
		}
	case *types.Slice, *types.Array, *types.Pointer:
		var elem types.Type
		isArr := false
		switch u := t.(type) {
		case *types.Slice:
			elem = u.Elem()
		case *types.Array:
			elem, isArr = u.Elem(), true
		case *types.Pointer:
			a, ok := u.Elem().Underlying().(*types.Array)
			if !ok {
				f.c.unsupported(s, "range over "+types.TypeString(xt, qualifier))
			}
			elem, isArr = a.Elem(), true
		}
		sl := f.alloc(1)
		f.expr(s.X, sl)
		if _, ok := t.(*types.Array); ok && s.Value != nil && !isBlank(s.Value) {
			f.emit(isa.ABC(isa.CLONE, uint8(sl), uint8(sl), 0))
		}
		n := f.alloc(1)
		f.emit(isa.ABC(isa.LEN, uint8(n), uint8(sl), 0))
		val := f.alloc(1)
		intLoop(n, func(ctr int) {
			f.iterAssign(s, s.Key, ctr, types.Typ[types.Int])
			if s.Value != nil && !isBlank(s.Value) {
				var op isa.Op
				if isArr {
					op = isa.AGET
					if isRef(elem) {
						op = isa.AGETR
					}
				} else {
					op = map[byte]isa.Op{'n': isa.IDX, 'b': isa.IDXB, 'r': isa.IDXR}[elemClass(elem)]
				}
				f.emit(isa.ABC(op, uint8(val), uint8(sl), uint8(ctr)))
				if isAgg(elem) {
					f.emit(isa.ABC(isa.CLONE, uint8(val), uint8(val), 0))
				}
				f.iterAssign(s, s.Value, val, elem)
			}
		})
	case *types.Map:
		mp := f.operand(s.X)
		it := f.alloc(1)
		kv := f.alloc(2)
		f.emit(isa.ABC(isa.MAPITER, uint8(it), uint8(mp), 0))
		l := f.pushLoop(true)
		top := f.pc()
		f.emit(isa.ABC(isa.MAPNEXT, uint8(kv), uint8(it), 0))
		exit := f.emitJump()
		f.iterAssign(s, s.Key, kv, t.Key())
		if s.Value != nil && !isBlank(s.Value) {
			if isAgg(t.Elem()) {
				f.emit(isa.ABC(isa.CLONE, uint8(kv+1), uint8(kv+1), 0))
			}
			f.iterAssign(s, s.Value, kv+1, t.Elem())
		}
		f.block(s.Body.List)
		f.jumpTo(top)
		end := f.pc()
		f.patch(exit, end)
		f.popLoop(l, top, end)
	case *types.Chan:
		ch := f.operand(s.X)
		v := f.alloc(2)
		l := f.pushLoop(true)
		top := f.pc()
		f.emit(isa.ABC(isa.RECV2, uint8(v), uint8(ch), 0))
		f.emit(isa.ABC(isa.IFF, uint8(v+1), 0, 0))
		exit := f.emitJump()
		f.iterAssign(s, s.Key, v, t.Elem())
		f.block(s.Body.List)
		f.jumpTo(top)
		end := f.pc()
		f.patch(exit, end)
		f.popLoop(l, top, end)
	default:
		f.c.unsupported(s, "range over "+types.TypeString(xt, qualifier))
	}
	f.next = mark
}

func (f *fstate) switchStmt(s *ast.SwitchStmt) {
	mark := f.next
	if s.Init != nil {
		f.stmt(s.Init)
	}
	f.setPos(s)
	tag := -1
	var tagT types.Type
	if s.Tag != nil {
		tag = f.alloc(1)
		tagT = f.typeOf(s.Tag)
		f.expr(s.Tag, tag)
	}
	l := f.pushLoop(false)
	clauses := s.Body.List
	bodyJumps := make([][]int, len(clauses))
	def := -1
	for i, cl := range clauses {
		cc := cl.(*ast.CaseClause)
		if cc.List == nil {
			def = i
			continue
		}
		for _, e := range cc.List {
			f.setPos(e)
			tmark := f.next
			if tag < 0 {
				bodyJumps[i] = append(bodyJumps[i], f.condJump(e, true)...)
			} else {
				bodyJumps[i] = append(bodyJumps[i], f.eqJump(tag, tagT, e)...)
			}
			f.next = tmark
		}
	}
	var noMatch int = f.emitJump()
	var ends []int
	for i, cl := range clauses {
		cc := cl.(*ast.CaseClause)
		start := f.pc()
		f.patchAll(bodyJumps[i], start)
		if i == def {
			f.patch(noMatch, start)
			noMatch = -1
		}
		f.block(cc.Body)
		falls := false
		if n := len(cc.Body); n > 0 {
			if br, ok := cc.Body[n-1].(*ast.BranchStmt); ok && br.Tok == token.FALLTHROUGH {
				falls = true
			}
		}
		if !falls {
			ends = append(ends, f.emitJump())
		}
	}
	end := f.pc()
	if noMatch >= 0 {
		f.patch(noMatch, end)
	}
	f.patchAll(ends, end)
	f.popLoop(l, end, end)
	f.next = mark
}

// eqJump emits a jump taken when tag == e.
func (f *fstate) eqJump(tag int, tagT types.Type, e ast.Expr) []int {
	et := f.typeOf(e)
	if isIface(tagT) {
		r := f.alloc(1)
		f.exprTo(e, r, tagT)
		b := f.alloc(1)
		f.emit(isa.ABC(isa.REQ, uint8(b), uint8(tag), uint8(r)))
		f.emit(isa.ABC(isa.IFT, uint8(b), 0, 0))
		return []int{f.emitJump()}
	}
	_ = et
	switch k := kindOf(tagT); {
	case k == isa.KString:
		r := f.operand(e)
		b := f.alloc(1)
		f.emit(isa.ABC(isa.SEQ, uint8(b), uint8(tag), uint8(r)))
		f.emit(isa.ABC(isa.IFT, uint8(b), 0, 0))
	case k == isa.KFloat64 || k == isa.KFloat32:
		r := f.operand(e)
		b := f.alloc(1)
		f.emit(isa.ABC(isa.FEQ, uint8(b), uint8(tag), uint8(r)))
		f.emit(isa.ABC(isa.IFT, uint8(b), 0, 0))
	case k.IsRef():
		r := f.operand(e)
		b := f.alloc(1)
		f.emit(isa.ABC(isa.REQ, uint8(b), uint8(tag), uint8(r)))
		f.emit(isa.ABC(isa.IFT, uint8(b), 0, 0))
	default:
		if tv := f.c.info.Types[e]; tv.Value != nil {
			if v, ok := constInt(tv.Value); ok && v >= -128 && v < 128 {
				f.emit(isa.ABC(isa.IFEQI, uint8(tag), uint8(int8(v)), 0))
				return []int{f.emitJump()}
			}
		}
		r := f.operand(e)
		f.emit(isa.ABC(isa.IFEQ, uint8(tag), uint8(r), 0))
	}
	return []int{f.emitJump()}
}

func (f *fstate) typeSwitch(s *ast.TypeSwitchStmt) {
	mark := f.next
	if s.Init != nil {
		f.stmt(s.Init)
	}
	f.setPos(s)
	var x ast.Expr
	switch a := s.Assign.(type) {
	case *ast.AssignStmt:
		x = a.Rhs[0].(*ast.TypeAssertExpr).X
	case *ast.ExprStmt:
		x = a.X.(*ast.TypeAssertExpr).X
	}
	xr := f.alloc(1)
	f.expr(x, xr)
	l := f.pushLoop(false)
	clauses := s.Body.List
	jumps := make([][]int, len(clauses))
	def := -1
	tmp := f.alloc(2)
	for i, cl := range clauses {
		cc := cl.(*ast.CaseClause)
		if cc.List == nil {
			def = i
			continue
		}
		for _, te := range cc.List {
			t := f.typeOf(te)
			if kindOf(t) == isa.KNil {
				f.emit(isa.ABC(isa.ISNIL, uint8(tmp), uint8(xr), 0))
				f.emit(isa.ABC(isa.IFT, uint8(tmp), 0, 0))
			} else {
				f.emit(isa.ABC(isa.MOVR, uint8(tmp), uint8(xr), 0))
				op := isa.ASSERT2
				if isIface(t) {
					op = isa.ASSERTI2
				}
				f.emit(isa.ABx(op, uint8(tmp), uint16(f.c.typeID(t))))
				f.emit(isa.ABC(isa.IFT, uint8(tmp+1), 0, 0))
			}
			jumps[i] = append(jumps[i], f.emitJump())
		}
	}
	noMatch := f.emitJump()
	var ends []int
	for i, cl := range clauses {
		cc := cl.(*ast.CaseClause)
		f.patchAll(jumps[i], f.pc())
		if i == def {
			f.patch(noMatch, f.pc())
			noMatch = -1
		}
		bmark := f.next
		if obj, ok := f.c.info.Implicits[cc].(*types.Var); ok {
			vt := obj.Type()
			f.declareVar(obj, func(dst int) {
				f.emit(isa.ABC(isa.MOVR, uint8(dst), uint8(xr), 0))
				if len(cc.List) == 1 && kindOf(vt) != isa.KNil && !isIface(vt) {
					f.emit(isa.ABx(isa.ASSERT, uint8(dst), uint16(f.c.typeID(vt))))
					if isAgg(vt) {
						f.emit(isa.ABC(isa.CLONE, uint8(dst), uint8(dst), 0))
					}
				}
			})
		}
		f.block(cc.Body)
		f.next = bmark
		ends = append(ends, f.emitJump())
	}
	end := f.pc()
	if noMatch >= 0 {
		f.patch(noMatch, end)
	}
	f.patchAll(ends, end)
	f.popLoop(l, end, end)
	f.next = mark
}

func (f *fstate) selectStmt(s *ast.SelectStmt) {
	mark := f.next
	type caseInfo struct {
		send     bool
		ch, val  int
		cc       *ast.CommClause
		recvStmt ast.Stmt
	}
	var cases []caseInfo
	hasDef := false
	var defClause *ast.CommClause
	for _, cl := range s.Body.List {
		cc := cl.(*ast.CommClause)
		switch c := cc.Comm.(type) {
		case nil:
			hasDef = true
			defClause = cc
		case *ast.SendStmt:
			ch := f.alloc(1)
			f.expr(c.Chan, ch)
			v := f.alloc(1)
			f.exprTo(c.Value, v, f.typeOf(c.Chan).Underlying().(*types.Chan).Elem())
			cases = append(cases, caseInfo{send: true, ch: ch, val: v, cc: cc})
		default:
			var rx ast.Expr
			switch st := c.(type) {
			case *ast.ExprStmt:
				rx = st.X
			case *ast.AssignStmt:
				rx = st.Rhs[0]
			}
			ue, ok := ast.Unparen(rx).(*ast.UnaryExpr)
			if !ok || ue.Op != token.ARROW {
				f.c.unsupported(c, "select case")
			}
			ch := f.alloc(1)
			f.expr(ue.X, ch)
			v := f.alloc(2)
			cases = append(cases, caseInfo{ch: ch, val: v, cc: cc, recvStmt: c})
		}
	}
	if len(cases) > 255 {
		f.c.unsupported(s, "select with more than 255 cases")
	}
	res := f.alloc(1)
	f.setPos(s)
	f.emit(isa.ABC(isa.SELECT, uint8(res), uint8(len(cases)), uint8(b2i(hasDef))))
	for _, ci := range cases {
		dir := 0
		if ci.send {
			dir = 1
		}
		f.emit(isa.ABC(isa.SELCASE, uint8(dir), uint8(ci.ch), uint8(ci.val)))
	}
	l := f.pushLoop(false)
	var jumps []int
	for i := range cases {
		if i < 128 {
			f.emit(isa.ABC(isa.IFEQI, uint8(res), uint8(int8(i)), 0))
		} else {
			k := f.alloc(1)
			f.emit(isa.AsBx(isa.LOADI, uint8(k), int16(i)))
			f.emit(isa.ABC(isa.IFEQ, uint8(res), uint8(k), 0))
		}
		jumps = append(jumps, f.emitJump())
	}
	var ends []int
	if hasDef {
		f.block(defClause.Body)
	}
	ends = append(ends, f.emitJump())
	for i, ci := range cases {
		f.patch(jumps[i], f.pc())
		bmark := f.next
		if as, ok := ci.recvStmt.(*ast.AssignStmt); ok {
			elem := f.typeOf(ast.Unparen(as.Rhs[0]).(*ast.UnaryExpr).X).Underlying().(*types.Chan).Elem()
			vals := []int{ci.val, ci.val + 1}
			ts := []types.Type{elem, types.Typ[types.Bool]}
			for j, lh := range as.Lhs {
				if isBlank(lh) {
					continue
				}
				if as.Tok == token.DEFINE {
					v := f.c.info.Defs[lh.(*ast.Ident)].(*types.Var)
					src, st := vals[j], ts[j]
					f.declareVar(v, func(dst int) { f.convertReg(src, dst, st, v.Type()) })
				} else {
					r := f.alloc(1)
					f.convertReg(vals[j], r, ts[j], f.typeOf(lh))
					f.store(lh, r)
				}
			}
		}
		f.block(ci.cc.Body)
		f.next = bmark
		ends = append(ends, f.emitJump())
	}
	end := f.pc()
	f.patchAll(ends, end)
	f.popLoop(l, end, end)
	f.next = mark
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (f *fstate) returnStmt(s *ast.ReturnStmt) {
	n := f.nresults
	if len(s.Results) == 0 {
		if f.hasDefer {
			f.retJumps = append(f.retJumps, f.emitJump())
			return
		}
		if n == 0 {
			f.emit(isa.ABC(isa.RET, 0, 0, 0))
			return
		}
		f.emitReturnFromVars()
		return
	}
	res := f.sig.Results()
	if n == 1 && len(s.Results) == 1 && !f.hasDefer && !isAgg(res.At(0).Type()) && !(isIface(res.At(0).Type()) && !isIface(f.typeOf(s.Results[0]))) {
		if id, ok := ast.Unparen(s.Results[0]).(*ast.Ident); ok {
			if v, ok := f.c.info.Uses[id].(*types.Var); ok {
				if loc, ok := f.vars[v]; ok && loc.kind == locReg {
					f.emit(isa.ABC(isa.RET, uint8(loc.idx), 1, 0))
					return
				}
			}
		}
	}
	base := f.alloc(n)
	if len(s.Results) == 1 && n > 1 {
		tmp := f.multiValue(s.Results[0], n)
		for i := 0; i < n; i++ {
			f.convertReg(tmp[i], base+i, tmp0Type(f, s.Results[0], i), res.At(i).Type())
		}
	} else {
		for i, e := range s.Results {
			f.exprTo(e, base+i, res.At(i).Type())
		}
	}
	if f.hasDefer {
		for i := 0; i < n; i++ {
			f.storeVar(f.resLocs[i], res.At(i).Type(), base+i)
		}
		f.retJumps = append(f.retJumps, f.emitJump())
		return
	}
	f.emit(isa.ABC(isa.RET, uint8(base), uint8(n), 0))
}
