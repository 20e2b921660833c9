// Package compiler translates a Go source file (package main, a subset of Go) into a bytecode
// module. go/parser and go/types do parsing and type checking; this package generates code
// from the typed syntax trees. Anything outside the subset is a compile error naming the
// construct and its file:line:col.
package compiler

import (
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"sort"
	"strings"

	"github.com/minictr/minictr/vm/interp"
	"github.com/minictr/minictr/vm/isa"
)

// Error is a compile error with its position.
type Error struct {
	Pos token.Position
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// ErrorList is every error found (type errors may be several).
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// CompileFile reads and compiles one Go source file.
func CompileFile(path string) (*isa.Module, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("compile: read %s: %w", path, err)
	}
	return Compile(path, src)
}

type pkgInfo struct {
	pkg       *types.Package
	files     []*ast.File
	info      *types.Info
	initOrder []*types.Initializer
}

type compiler struct {
	fset     *token.FileSet
	pkgs     map[string]*pkgInfo
	order    []*pkgInfo // dependency order, main last
	info     *types.Info
	mod      *isa.Module
	funcIdx  map[*types.Func]int
	funcDecl map[*types.Func]*ast.FuncDecl
	queue    []func()
	typeList []types.Type
	typeByS  map[string][]int
	consts   map[isa.Const]int
	hosts    map[string]int
	globals  map[*types.Var]int
	meths    map[string]int
	wrappers map[string]int
	roRecv   map[*types.Func]bool
	litN     int
	pos      token.Pos // position of the construct being compiled, for errors without a node
}

func newInfo() *types.Info {
	return &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Implicits:  map[ast.Node]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
}

// importer type-checks the stub packages on demand.
type importer struct{ c *compiler }

func (im importer) Import(path string) (*types.Package, error) {
	c := im.c
	if p, ok := c.pkgs[path]; ok {
		if p.pkg == nil {
			return nil, fmt.Errorf("import cycle through %q", path)
		}
		return p.pkg, nil
	}
	src, ok := stubs[path]
	if !ok || path == "vmrt" {
		return nil, fmt.Errorf("package %q is not supported by the minictr VM (supported: fmt, strings, strconv, math, time, os, bufio, sync, errors, io, runtime, sort)", path)
	}
	p := &pkgInfo{info: c.info}
	c.pkgs[path] = p
	f, err := parser.ParseFile(c.fset, "<"+path+">", src, 0)
	if err != nil {
		return nil, fmt.Errorf("stub %s: %w", path, err)
	}
	conf := types.Config{Importer: im}
	pkg, err := conf.Check(path, c.fset, []*ast.File{f}, c.info)
	if err != nil {
		return nil, fmt.Errorf("stub %s: %w", path, err)
	}
	p.pkg, p.files = pkg, []*ast.File{f}
	p.initOrder = c.takeInit(pkg)
	c.order = append(c.order, p)
	return pkg, nil
}

// takeInit keeps the initializers of pkg (the Info is shared by all packages).
func (c *compiler) takeInit(pkg *types.Package) []*types.Initializer {
	var out, rest []*types.Initializer
	for _, in := range c.info.InitOrder {
		if in.Lhs[0].Pkg() == pkg {
			out = append(out, in)
		} else {
			rest = append(rest, in)
		}
	}
	c.info.InitOrder = rest
	return out
}

// bailout carries a compile error out of deep recursion.
type bailout struct{ err *Error }

func (c *compiler) errorf(pos token.Pos, format string, args ...any) {
	panic(bailout{&Error{Pos: c.fset.Position(pos), Msg: fmt.Sprintf(format, args...)}})
}

func (c *compiler) unsupported(n ast.Node, what string) {
	c.errorf(n.Pos(), "unsupported: %s (outside the Go subset the minictr VM runs)", what)
}

// Compile compiles the source of one file of package main.
func Compile(filename string, src []byte) (mod *isa.Module, err error) {
	c := &compiler{
		fset: token.NewFileSet(), pkgs: map[string]*pkgInfo{}, info: newInfo(),
		mod: &isa.Module{ErrorType: -1}, funcIdx: map[*types.Func]int{}, funcDecl: map[*types.Func]*ast.FuncDecl{},
		typeByS: map[string][]int{}, consts: map[isa.Const]int{}, hosts: map[string]int{},
		globals: map[*types.Var]int{}, meths: map[string]int{}, wrappers: map[string]int{}, roRecv: map[*types.Func]bool{},
	}
	f, perr := parser.ParseFile(c.fset, filename, src, parser.SkipObjectResolution)
	if perr != nil {
		return nil, perr
	}
	if f.Name.Name != "main" {
		return nil, &Error{Pos: c.fset.Position(f.Name.Pos()), Msg: fmt.Sprintf("package %s: the VM runs package main", f.Name.Name)}
	}
	var terrs ErrorList
	conf := types.Config{
		Importer: importer{c},
		Error: func(err error) {
			if te, ok := err.(types.Error); ok && len(terrs) < 10 {
				terrs = append(terrs, &Error{Pos: c.fset.Position(te.Pos), Msg: te.Msg})
			}
		},
	}
	// the runtime error type package is always present
	if _, err := c.checkStub("vmrt"); err != nil {
		return nil, err
	}
	pkg, _ := conf.Check("main", c.fset, []*ast.File{f}, c.info)
	if len(terrs) > 0 {
		return nil, terrs
	}
	mainP := &pkgInfo{pkg: pkg, files: []*ast.File{f}, info: c.info, initOrder: c.takeInit(pkg)}
	c.pkgs["main"] = mainP
	c.order = append(c.order, mainP)
	defer func() {
		if r := recover(); r != nil {
			if b, ok := r.(bailout); ok {
				mod, err = nil, b.err
				return
			}
			panic(r)
		}
	}()
	c.build(mainP)
	if err := isa.Verify(c.mod); err != nil {
		return nil, fmt.Errorf("compile: internal error, generated code fails verification: %w", err)
	}
	return c.mod, nil
}

func (c *compiler) checkStub(path string) (*types.Package, error) {
	p := &pkgInfo{info: c.info}
	c.pkgs[path] = p
	f, err := parser.ParseFile(c.fset, "<"+path+">", stubs[path], 0)
	if err != nil {
		return nil, err
	}
	conf := types.Config{Importer: importer{c}}
	pkg, err := conf.Check(path, c.fset, []*ast.File{f}, c.info)
	if err != nil {
		return nil, err
	}
	p.pkg, p.files = pkg, []*ast.File{f}
	p.initOrder = c.takeInit(pkg)
	c.order = append(c.order, p)
	return pkg, nil
}

func (c *compiler) build(mainP *pkgInfo) {
	for _, p := range c.order {
		for _, f := range p.files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok {
					if obj, ok := c.info.Defs[fd.Name].(*types.Func); ok {
						c.funcDecl[obj] = fd
					}
				}
			}
		}
	}
	// runtime error type
	rt := c.pkgs["vmrt"].pkg.Scope().Lookup("RuntimeErr").Type()
	c.mod.ErrorType = c.typeID(rt)
	mainObj, _ := mainP.pkg.Scope().Lookup("main").(*types.Func)
	if mainObj == nil {
		c.errorf(mainP.files[0].Name.Pos(), "function main is undeclared in the main package")
	}
	// entry: package initialisation in dependency order, then main.main
	entry := c.newFunc("<init>", mainP.files[0].Pos(), nil)
	c.mod.Entry = entry.idx
	for _, p := range c.order {
		entry.pkgInit(p)
	}
	mi := c.funcIndex(mainObj)
	a := entry.alloc(1)
	entry.emit(isa.ABx(isa.CALL, uint8(a), uint16(mi)))
	entry.emit(isa.ABC(isa.RET, 0, 0, 0))
	entry.finish()
	for len(c.queue) > 0 {
		q := c.queue[0]
		c.queue = c.queue[1:]
		q()
	}
}

// funcIndex returns the index of a declared function or method, queueing its compilation.
func (c *compiler) funcIndex(obj *types.Func) int {
	obj = obj.Origin()
	if i, ok := c.funcIdx[obj]; ok {
		return i
	}
	fd := c.funcDecl[obj]
	if fd == nil {
		c.errorf(obj.Pos(), "unsupported: function %s has no Go declaration", obj.FullName())
	}
	if fd.Body == nil {
		c.errorf(fd.Pos(), "internal: %s is a host function", obj.FullName())
	}
	if fd.Type.TypeParams != nil || (fd.Recv != nil && len(fd.Recv.List) > 0 && hasTypeParams(fd.Recv.List[0].Type)) {
		c.unsupported(fd, "generic function "+obj.Name())
	}
	i := len(c.mod.Funcs)
	c.mod.Funcs = append(c.mod.Funcs, isa.Func{Name: funcName(obj)})
	c.funcIdx[obj] = i
	c.queue = append(c.queue, func() { c.compileDecl(i, obj, fd) })
	return i
}

func hasTypeParams(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.StarExpr:
		return hasTypeParams(t.X)
	case *ast.IndexExpr, *ast.IndexListExpr:
		return true
	}
	return false
}

func funcName(obj *types.Func) string {
	pkg := "main"
	if obj.Pkg() != nil {
		pkg = obj.Pkg().Name()
	}
	sig := obj.Type().(*types.Signature)
	if r := sig.Recv(); r != nil {
		t := r.Type()
		star := ""
		if p, ok := t.(*types.Pointer); ok {
			t, star = p.Elem(), "*"
		}
		name := t.String()
		if n, ok := t.(*types.Named); ok {
			name = n.Obj().Name()
		}
		if star != "" {
			return fmt.Sprintf("%s.(*%s).%s", pkg, name, obj.Name())
		}
		return fmt.Sprintf("%s.%s.%s", pkg, name, obj.Name())
	}
	return pkg + "." + obj.Name()
}

func (c *compiler) constIdx(k isa.Const) int {
	if i, ok := c.consts[k]; ok {
		return i
	}
	i := len(c.mod.Consts)
	if i >= isa.MaxConsts {
		c.errorf(token.NoPos, "too many constants")
	}
	c.mod.Consts = append(c.mod.Consts, k)
	c.consts[k] = i
	return i
}

func (c *compiler) hostIdx(pos token.Pos, name string) int {
	if i, ok := c.hosts[name]; ok {
		return i
	}
	na, nr, ok := interp.HostSignature(name)
	if !ok {
		c.errorf(pos, "unsupported: %s is not implemented by the minictr VM", name)
	}
	i := len(c.mod.Hosts)
	c.mod.Hosts = append(c.mod.Hosts, isa.Host{Name: name, NArgs: na, NResult: nr})
	c.hosts[name] = i
	return i
}

func (c *compiler) methodID(name string) int {
	if i, ok := c.meths[name]; ok {
		return i
	}
	i := len(c.mod.MethodNames)
	c.mod.MethodNames = append(c.mod.MethodNames, name)
	c.meths[name] = i
	return i
}

func (c *compiler) globalIdx(v *types.Var) int {
	if i, ok := c.globals[v]; ok {
		return i
	}
	i := c.mod.NGlobals
	c.mod.NGlobals++
	c.globals[v] = i
	return i
}

var qualifier = func(p *types.Package) string { return p.Name() }

func kindOf(t types.Type) isa.Kind {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.Bool, types.UntypedBool:
			return isa.KBool
		case types.Int, types.UntypedInt:
			return isa.KInt
		case types.Int8:
			return isa.KInt8
		case types.Int16:
			return isa.KInt16
		case types.Int32, types.UntypedRune:
			return isa.KInt32
		case types.Int64:
			return isa.KInt64
		case types.Uint:
			return isa.KUint
		case types.Uint8:
			return isa.KUint8
		case types.Uint16:
			return isa.KUint16
		case types.Uint32:
			return isa.KUint32
		case types.Uint64:
			return isa.KUint64
		case types.Uintptr:
			return isa.KUintptr
		case types.Float32:
			return isa.KFloat32
		case types.Float64, types.UntypedFloat:
			return isa.KFloat64
		case types.String, types.UntypedString:
			return isa.KString
		case types.UntypedNil:
			return isa.KNil
		}
	case *types.Slice:
		return isa.KSlice
	case *types.Array:
		return isa.KArray
	case *types.Map:
		return isa.KMap
	case *types.Struct:
		return isa.KStruct
	case *types.Pointer:
		return isa.KPointer
	case *types.Interface:
		return isa.KInterface
	case *types.Signature:
		return isa.KFunc
	case *types.Chan:
		return isa.KChan
	}
	return isa.KInvalid
}

func isRef(t types.Type) bool { return kindOf(t).IsRef() }
func isAgg(t types.Type) bool { return kindOf(t).IsAggregate() }
func isIface(t types.Type) bool {
	_, ok := t.Underlying().(*types.Interface)
	return ok
}

// structLayout gives each field's half and index.
func structLayout(st *types.Struct) (ref []bool, idx []int) {
	nn, nr := 0, 0
	for i := 0; i < st.NumFields(); i++ {
		r := isRef(st.Field(i).Type())
		ref = append(ref, r)
		if r {
			idx = append(idx, nr)
			nr++
		} else {
			idx = append(idx, nn)
			nn++
		}
	}
	return
}

// typeID returns the module type index of t, adding its descriptor.
func (c *compiler) typeID(t types.Type) int {
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		t = types.Default(t)
	}
	s := types.TypeString(t, qualifier)
	for _, i := range c.typeByS[s] {
		if types.Identical(c.typeList[i], t) {
			return i
		}
	}
	k := kindOf(t)
	if k == isa.KInvalid {
		c.errorf(c.pos, "unsupported: type %s", s)
	}
	i := len(c.mod.Types)
	if i >= isa.MaxTypes {
		c.errorf(token.NoPos, "too many types")
	}
	c.mod.Types = append(c.mod.Types, isa.Type{Kind: k, Name: s})
	c.typeList = append(c.typeList, t)
	c.typeByS[s] = append(c.typeByS[s], i)
	var d isa.Type
	d.Kind, d.Name = k, s
	switch u := t.Underlying().(type) {
	case *types.Slice:
		d.Elem = c.typeID(u.Elem())
	case *types.Array:
		d.Elem = c.typeID(u.Elem())
		if u.Len() > isa.MaxArrayLen {
			c.errorf(c.pos, "unsupported: array type %s too large", s)
		}
		d.Len = int(u.Len())
	case *types.Pointer:
		d.Elem = c.typeID(u.Elem())
	case *types.Chan:
		d.Elem = c.typeID(u.Elem())
		d.Dir = int(u.Dir())
	case *types.Map:
		d.Key = c.typeID(u.Key())
		d.Elem = c.typeID(u.Elem())
	case *types.Struct:
		ref, idx := structLayout(u)
		for j := 0; j < u.NumFields(); j++ {
			f := u.Field(j)
			d.Fields = append(d.Fields, isa.Field{Name: f.Name(), Type: c.typeID(f.Type()), Ref: ref[j], Index: idx[j], Embedded: f.Embedded()})
		}
	case *types.Interface:
		for j := 0; j < u.NumMethods(); j++ {
			d.IMeths = append(d.IMeths, c.methodID(u.Method(j).Name()))
		}
		sort.Ints(d.IMeths)
	}
	c.mod.Types[i] = d
	// method set (for dynamic dispatch through interfaces)
	if !isIface(t) {
		ms := types.NewMethodSet(t)
		for j := 0; j < ms.Len(); j++ {
			sel := ms.At(j)
			fobj := sel.Obj().(*types.Func)
			fd := c.funcDecl[fobj.Origin()]
			if fd == nil || fd.Body == nil {
				continue
			}
			if len(sel.Index()) > 1 {
				// promoted through embedding: a wrapper walks to the embedded receiver
				fi := c.promotedWrapper(t, sel)
				c.mod.Types[i].Methods = append(c.mod.Types[i].Methods, isa.Method{Name: c.methodID(fobj.Name()), Func: fi, PtrRecv: true})
				continue
			}
			_, ptr := fobj.Type().(*types.Signature).Recv().Type().(*types.Pointer)
			fi := c.funcIndex(fobj)
			c.mod.Types[i].Methods = append(c.mod.Types[i].Methods, isa.Method{Name: c.methodID(fobj.Name()), Func: fi, PtrRecv: ptr || c.readonlyRecv(fobj)})
		}
	}
	return i
}

var errNoMain = errors.New("no main")

// constant helpers

func constInt(v constant.Value) (int64, bool) {
	if v.Kind() == constant.Int {
		if i, ok := constant.Int64Val(v); ok {
			return i, true
		}
		if u, ok := constant.Uint64Val(v); ok {
			return int64(u), true
		}
	}
	return 0, false
}

// promotedWrapper builds the function an interface calls for a method promoted through
// embedded fields: it loads the embedded receiver and calls the method.
func (c *compiler) promotedWrapper(recvT types.Type, sel *types.Selection) int {
	fobj := sel.Obj().(*types.Func)
	key := types.TypeString(recvT, qualifier) + "." + fobj.Name() + "·promoted"
	if i, ok := c.wrappers[key]; ok {
		return i
	}
	sig := fobj.Type().(*types.Signature)
	np, nr := 1+sig.Params().Len(), sig.Results().Len()
	w := c.newFunc(key, fobj.Pos(), nil)
	w.node = c.funcDecl[fobj.Origin()]
	w.nparams, w.nresults = np, nr
	c.wrappers[key] = w.idx
	w.alloc(np)
	a := w.alloc(max(np, nr))
	t, cur := recvT, 0
	path := sel.Index()
	for _, fi := range path[:len(path)-1] {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		st := t.Underlying().(*types.Struct)
		ref, idx := structLayout(st)
		op := isa.GETF
		if ref[fi] {
			op = isa.GETFR
		}
		w.emit(isa.ABC(op, uint8(a), uint8(cur), uint8(idx[fi])))
		cur, t = a, st.Field(fi).Type()
	}
	rt := sig.Recv().Type()
	if _, ptr := rt.(*types.Pointer); !ptr && isAgg(rt) && !c.readonlyRecv(fobj.Origin()) {
		w.emit(isa.ABC(isa.CLONE, uint8(a), uint8(a), 0))
	}
	for k := 1; k < np; k++ {
		w.emit(isa.ABC(isa.MOVALL, uint8(a+k), uint8(k), 0))
	}
	w.emit(isa.ABx(isa.CALL, uint8(a), uint16(c.funcIndex(fobj))))
	w.emit(isa.ABC(isa.RET, uint8(a), uint8(nr), 0))
	w.finish()
	return w.idx
}
