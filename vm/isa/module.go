package isa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Magic and Version open every .mbc file.
const (
	Magic   = "\x7fMBC"
	Version = 1
)

// Limits that bound what a module may declare, so that a hostile file cannot make the loader
// allocate without bound.
const (
	MaxFuncs    = 1 << 16
	MaxConsts   = 1 << 16
	MaxTypes    = 1 << 16
	MaxCode     = 1 << 22
	MaxStrLen   = 1 << 24
	MaxFields   = 1 << 12
	MaxGlobals  = 1 << 16
	MaxMethods  = 1 << 16
	MaxHosts    = 1 << 12
	MaxRegs     = 256
	MaxArrayLen = 1 << 28
)

// ConstKind is the kind of a constant pool entry.
type ConstKind uint8

const (
	ConstInt ConstKind = iota + 1
	ConstFloat
	ConstString
)

// Const is one constant pool entry.
type Const struct {
	Kind ConstKind
	N    uint64 // int value or float64 bits
	S    string
}

// Kind is the kind of a type.
type Kind uint8

const (
	KInvalid Kind = iota
	KBool
	KInt
	KInt8
	KInt16
	KInt32
	KInt64
	KUint
	KUint8
	KUint16
	KUint32
	KUint64
	KUintptr
	KFloat32
	KFloat64
	KString
	KSlice
	KArray
	KMap
	KStruct
	KPointer
	KInterface
	KFunc
	KChan
	KNil
	NumKinds
)

var kindNames = [...]string{"invalid", "bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8",
	"uint16", "uint32", "uint64", "uintptr", "float32", "float64", "string", "slice", "array", "map",
	"struct", "pointer", "interface", "func", "chan", "nil"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind%d", uint8(k))
}

// IsRef reports whether values of kind k live in the reference half of a register.
func (k Kind) IsRef() bool { return k >= KString && k != KNil || k == KNil }

// IsAggregate reports whether values of kind k are structs or arrays: references in registers but
// with value semantics (copied at assignment).
func (k Kind) IsAggregate() bool { return k == KStruct || k == KArray }

// Field is one struct field. Index counts within the scalar half or the reference half of the
// struct, as Ref says.
type Field struct {
	Name     string
	Type     int
	Ref      bool
	Index    int
	Embedded bool
}

// Method maps a method name (an index into Module.MethodNames) to the function implementing it.
// PtrRecv says the function takes a pointer receiver.
type Method struct {
	Name    int
	Func    int
	PtrRecv bool
}

// Type describes one type for the runtime: zero values, copies, maps, interfaces and printing.
type Type struct {
	Kind    Kind
	Name    string // package-qualified name ("main.Point"), or "" for an unnamed type
	Elem    int    // slice, array, pointer, chan element; map value
	Key     int    // map key
	Len     int    // array length
	Fields  []Field
	NumN    int      // struct: scalar fields
	NumR    int      // struct: reference fields
	Methods []Method // method set of this type (value or pointer)
	IMeths  []int    // interface: method names required
	Dir     int      // chan direction (unused by the runtime)
}

// Func is one function.
type Func struct {
	Name     string
	File     string
	NParams  int // registers taken by parameters (receiver first)
	NResults int
	NRegs    int
	NCaps    int // closures: captured cells
	Epilogue int // pc of the deferred-call epilogue, or -1
	Code     []uint32
	Lines    []int32 // source line per instruction (same length as Code)
}

// Host names a host function (intrinsic) with its register footprint.
type Host struct {
	Name    string
	NArgs   int
	NResult int
}

// Module is a loaded or compiled program.
type Module struct {
	Consts      []Const
	Types       []Type
	Funcs       []Func
	Hosts       []Host
	MethodNames []string
	NGlobals    int
	Entry       int // function run first (package initialisation, then main.main)
	ErrorType   int // type index of runtime errors (a struct with a string field and an Error method), or -1
}

// Encode serialises m into the .mbc binary format.
func (m *Module) Encode() []byte {
	var w writer
	w.buf.WriteString(Magic)
	w.u(Version)
	w.u(uint64(len(m.Consts)))
	for _, c := range m.Consts {
		w.u(uint64(c.Kind))
		switch c.Kind {
		case ConstString:
			w.s(c.S)
		default:
			w.u(c.N)
		}
	}
	w.u(uint64(len(m.MethodNames)))
	for _, s := range m.MethodNames {
		w.s(s)
	}
	w.u(uint64(len(m.Types)))
	for _, t := range m.Types {
		w.u(uint64(t.Kind))
		w.s(t.Name)
		w.i(t.Elem)
		w.i(t.Key)
		w.i(t.Len)
		w.i(t.Dir)
		w.u(uint64(len(t.Fields)))
		for _, f := range t.Fields {
			w.s(f.Name)
			w.i(f.Type)
			w.b(f.Ref)
			w.i(f.Index)
			w.b(f.Embedded)
		}
		w.u(uint64(len(t.Methods)))
		for _, me := range t.Methods {
			w.i(me.Name)
			w.i(me.Func)
			w.b(me.PtrRecv)
		}
		w.u(uint64(len(t.IMeths)))
		for _, x := range t.IMeths {
			w.i(x)
		}
	}
	w.u(uint64(len(m.Hosts)))
	for _, h := range m.Hosts {
		w.s(h.Name)
		w.i(h.NArgs)
		w.i(h.NResult)
	}
	w.u(uint64(len(m.Funcs)))
	for _, f := range m.Funcs {
		w.s(f.Name)
		w.s(f.File)
		w.i(f.NParams)
		w.i(f.NResults)
		w.i(f.NRegs)
		w.i(f.NCaps)
		w.i(f.Epilogue)
		w.u(uint64(len(f.Code)))
		var tmp [4]byte
		for _, ins := range f.Code {
			binary.LittleEndian.PutUint32(tmp[:], ins)
			w.buf.Write(tmp[:])
		}
		// Debug line table: (delta line) per instruction, zig-zag varints.
		prev := int32(0)
		for i := range f.Code {
			l := int32(0)
			if i < len(f.Lines) {
				l = f.Lines[i]
			}
			w.i(int(l - prev))
			prev = l
		}
	}
	w.i(m.NGlobals)
	w.i(m.Entry)
	w.i(m.ErrorType)
	return w.buf.Bytes()
}

type writer struct{ buf bytes.Buffer }

func (w *writer) u(x uint64) { w.buf.Write(binary.AppendUvarint(nil, x)) }
func (w *writer) i(x int)    { w.buf.Write(binary.AppendVarint(nil, int64(x))) }
func (w *writer) s(s string) { w.u(uint64(len(s))); w.buf.WriteString(s) }
func (w *writer) b(b bool) {
	if b {
		w.buf.WriteByte(1)
	} else {
		w.buf.WriteByte(0)
	}
}

// reader decodes with bounds checks; the first error sticks.
type reader struct {
	data []byte
	off  int
	err  error
	what string
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("offset %d (%s): %s", r.off, r.what, fmt.Sprintf(format, args...))
	}
}

func (r *reader) u() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.data[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return x
}

func (r *reader) i() int {
	if r.err != nil {
		return 0
	}
	x, n := binary.Varint(r.data[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	if x < math.MinInt32 || x > math.MaxInt32 {
		r.fail("integer %d out of range", x)
		return 0
	}
	r.off += n
	return int(x)
}

func (r *reader) count(max int) int {
	n := r.u()
	if n > uint64(max) {
		r.fail("count %d exceeds limit %d", n, max)
		return 0
	}
	return int(n)
}

func (r *reader) s() string {
	n := r.count(MaxStrLen)
	if r.err != nil {
		return ""
	}
	if len(r.data)-r.off < n {
		r.fail("string of %d bytes runs past the end", n)
		return ""
	}
	s := string(r.data[r.off : r.off+n])
	r.off += n
	return s
}

func (r *reader) b() bool {
	if r.err != nil {
		return false
	}
	if r.off >= len(r.data) {
		r.fail("unexpected end")
		return false
	}
	v := r.data[r.off]
	r.off++
	if v > 1 {
		r.fail("bad bool %d", v)
	}
	return v == 1
}

// ErrMagic is returned by Decode for input that is not a module.
var ErrMagic = errors.New("not a minictr bytecode module (bad magic)")

// Decode parses a .mbc file and verifies it. It never panics on malformed input.
func Decode(data []byte) (*Module, error) {
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		return nil, ErrMagic
	}
	r := &reader{data: data, off: len(Magic), what: "header"}
	if v := r.u(); r.err == nil && v != Version {
		return nil, fmt.Errorf("module version %d, this VM reads version %d", v, Version)
	}
	m := &Module{}
	r.what = "constants"
	nc := r.count(MaxConsts)
	for i := 0; i < nc && r.err == nil; i++ {
		c := Const{Kind: ConstKind(r.u())}
		switch c.Kind {
		case ConstString:
			c.S = r.s()
		case ConstInt, ConstFloat:
			c.N = r.u()
		default:
			r.fail("constant %d: bad kind %d", i, c.Kind)
		}
		m.Consts = append(m.Consts, c)
	}
	r.what = "method names"
	nm := r.count(MaxMethods)
	for i := 0; i < nm && r.err == nil; i++ {
		m.MethodNames = append(m.MethodNames, r.s())
	}
	r.what = "types"
	nt := r.count(MaxTypes)
	for i := 0; i < nt && r.err == nil; i++ {
		t := Type{Kind: Kind(r.u()), Name: r.s(), Elem: r.i(), Key: r.i(), Len: r.i(), Dir: r.i()}
		nf := r.count(MaxFields)
		for j := 0; j < nf && r.err == nil; j++ {
			t.Fields = append(t.Fields, Field{Name: r.s(), Type: r.i(), Ref: r.b(), Index: r.i(), Embedded: r.b()})
		}
		nme := r.count(MaxMethods)
		for j := 0; j < nme && r.err == nil; j++ {
			t.Methods = append(t.Methods, Method{Name: r.i(), Func: r.i(), PtrRecv: r.b()})
		}
		ni := r.count(MaxMethods)
		for j := 0; j < ni && r.err == nil; j++ {
			t.IMeths = append(t.IMeths, r.i())
		}
		m.Types = append(m.Types, t)
	}
	r.what = "hosts"
	nh := r.count(MaxHosts)
	for i := 0; i < nh && r.err == nil; i++ {
		m.Hosts = append(m.Hosts, Host{Name: r.s(), NArgs: r.i(), NResult: r.i()})
	}
	r.what = "functions"
	nf := r.count(MaxFuncs)
	total := 0
	for i := 0; i < nf && r.err == nil; i++ {
		f := Func{Name: r.s(), File: r.s(), NParams: r.i(), NResults: r.i(), NRegs: r.i(), NCaps: r.i(), Epilogue: r.i()}
		n := r.count(MaxCode)
		total += n
		if total > MaxCode {
			r.fail("total code size exceeds %d instructions", MaxCode)
		}
		if r.err == nil && len(r.data)-r.off < 4*n {
			r.fail("function %q: code of %d instructions runs past the end", f.Name, n)
		}
		if r.err != nil {
			break
		}
		f.Code = make([]uint32, n)
		for j := range f.Code {
			f.Code[j] = binary.LittleEndian.Uint32(r.data[r.off:])
			r.off += 4
		}
		f.Lines = make([]int32, n)
		line := 0
		for j := 0; j < n && r.err == nil; j++ {
			line += r.i()
			if line < 0 || line > math.MaxInt32 {
				r.fail("function %q: bad line table", f.Name)
			}
			f.Lines[j] = int32(line)
		}
		m.Funcs = append(m.Funcs, f)
	}
	r.what = "trailer"
	m.NGlobals = r.i()
	m.Entry = r.i()
	m.ErrorType = r.i()
	if r.err != nil {
		return nil, fmt.Errorf("decode module: %w", r.err)
	}
	if r.off != len(data) {
		return nil, fmt.Errorf("decode module: %d trailing bytes", len(data)-r.off)
	}
	if err := Verify(m); err != nil {
		return nil, err
	}
	return m, nil
}
