package isa

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Disasm renders m as .masm text; Assemble(Disasm(m)) rebuilds an identical module.
func Disasm(m *Module) string {
	var b strings.Builder
	fmt.Fprintf(&b, "; minictr bytecode module, version %d\n", Version)
	fmt.Fprintf(&b, ".entry %d\n.globals %d\n.errortype %d\n", m.Entry, m.NGlobals, m.ErrorType)
	for i, c := range m.Consts {
		switch c.Kind {
		case ConstInt:
			fmt.Fprintf(&b, ".const %d int %d\n", i, int64(c.N))
		case ConstFloat:
			fmt.Fprintf(&b, ".const %d float %#x ; %v\n", i, c.N, math.Float64frombits(c.N))
		case ConstString:
			fmt.Fprintf(&b, ".const %d string %s\n", i, strconv.Quote(c.S))
		}
	}
	for i, s := range m.MethodNames {
		fmt.Fprintf(&b, ".method %d %s\n", i, strconv.Quote(s))
	}
	for i, t := range m.Types {
		fmt.Fprintf(&b, ".type %d %s %s elem=%d key=%d len=%d dir=%d\n", i, t.Kind, strconv.Quote(t.Name), t.Elem, t.Key, t.Len, t.Dir)
		for _, f := range t.Fields {
			fmt.Fprintf(&b, "  .field %s type=%d ref=%d index=%d embedded=%d\n", strconv.Quote(f.Name), f.Type, b2i(f.Ref), f.Index, b2i(f.Embedded))
		}
		for _, me := range t.Methods {
			fmt.Fprintf(&b, "  .tmethod name=%d func=%d ptr=%d\n", me.Name, me.Func, b2i(me.PtrRecv))
		}
		for _, x := range t.IMeths {
			fmt.Fprintf(&b, "  .imethod %d\n", x)
		}
	}
	for i, h := range m.Hosts {
		fmt.Fprintf(&b, ".host %d %s args=%d results=%d\n", i, strconv.Quote(h.Name), h.NArgs, h.NResult)
	}
	for i := range m.Funcs {
		f := &m.Funcs[i]
		fmt.Fprintf(&b, "\n.func %d %s file=%s params=%d results=%d regs=%d caps=%d epilogue=%d\n",
			i, strconv.Quote(f.Name), strconv.Quote(f.File), f.NParams, f.NResults, f.NRegs, f.NCaps, f.Epilogue)
		line := int32(-1)
		for pc, ins := range f.Code {
			if pc < len(f.Lines) && f.Lines[pc] != line {
				line = f.Lines[pc]
				fmt.Fprintf(&b, "  .line %d\n", line)
			}
			fmt.Fprintf(&b, "  %-40s ; %d\n", FormatIns(m, ins, pc), pc)
		}
		b.WriteString(".end\n")
	}
	return b.String()
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// FormatIns renders one instruction as assembler text (m may be nil).
func FormatIns(m *Module, ins uint32, pc int) string {
	op := GetOp(ins)
	if op >= NumOps {
		return fmt.Sprintf(".word %#x", ins)
	}
	info := &Ops[op]
	var ops []string
	put := func(ro Role, v int) {
		switch ro {
		case RReg:
			ops = append(ops, fmt.Sprintf("r%d", v))
		case RImm, RUImm:
			ops = append(ops, strconv.Itoa(v))
		case RConst:
			ops = append(ops, fmt.Sprintf("k%d", v))
		case RJump:
			ops = append(ops, fmt.Sprintf("@%d", pc+1+v))
		case RFunc:
			ops = append(ops, fmt.Sprintf("f%d", v))
		case RType:
			ops = append(ops, fmt.Sprintf("t%d", v))
		case RHost:
			ops = append(ops, fmt.Sprintf("h%d", v))
		case RMeth:
			ops = append(ops, fmt.Sprintf("m%d", v))
		case RGlob:
			ops = append(ops, fmt.Sprintf("g%d", v))
		}
	}
	switch info.Format {
	case FmtABC:
		b, c := int(GetB(ins)), int(GetC(ins))
		if info.B == RImm {
			b = int(int8(b))
		}
		if info.C == RImm {
			c = int(int8(c))
		}
		put(info.A, int(GetA(ins)))
		put(info.B, b)
		put(info.C, c)
	case FmtABx:
		put(info.A, int(GetA(ins)))
		put(info.B, int(GetBx(ins)))
	case FmtAsBx:
		put(info.A, int(GetA(ins)))
		put(info.B, int(GetSBx(ins)))
	case FmtAx:
		put(info.A, int(GetAx(ins)))
	}
	return fmt.Sprintf("%-9s %s", info.Name, strings.Join(ops, ", "))
}

var opByName = func() map[string]Op {
	mm := map[string]Op{}
	for i := range Ops {
		if Ops[i].Name != "" {
			mm[Ops[i].Name] = Op(i)
		}
	}
	return mm
}()

var kindByName = func() map[string]Kind {
	mm := map[string]Kind{}
	for i, n := range kindNames {
		mm[n] = Kind(i)
	}
	return mm
}()

// AsmError names the line of the .masm text.
type AsmError struct {
	Line int
	Msg  string
}

func (e *AsmError) Error() string { return fmt.Sprintf("asm: line %d: %s", e.Line, e.Msg) }

// Assemble parses .masm text into a verified module. Jump operands are @PC (absolute) or a
// label defined as "name:" on its own line inside the function.
func Assemble(src string) (*Module, error) {
	m := &Module{ErrorType: -1}
	a := &assembler{m: m}
	lines := strings.Split(src, "\n")
	for i, raw := range lines {
		a.line = i + 1
		if err := a.doLine(raw); err != nil {
			return nil, err
		}
	}
	if a.fn != nil {
		return nil, &AsmError{a.line, "missing .end"}
	}
	if err := Verify(m); err != nil {
		return nil, err
	}
	return m, nil
}

type fixup struct {
	pc    int
	label string
	line  int
}

type assembler struct {
	m      *Module
	line   int
	fn     *Func
	labels map[string]int
	fix    []fixup
	curLn  int32
	lastTy *Type
}

func (a *assembler) errf(format string, args ...any) error {
	return &AsmError{a.line, fmt.Sprintf(format, args...)}
}

// splitFields splits on spaces and commas, keeping quoted strings whole.
func splitFields(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" || s[0] == ';' {
			return out, nil
		}
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("bad string: %w", err)
			}
			out = append(out, q)
			s = s[len(q):]
			continue
		}
		j := strings.IndexAny(s, " \t,;")
		if j < 0 {
			j = len(s)
		}
		if k := strings.Index(s[:j], "=\""); k >= 0 {
			q, err := strconv.QuotedPrefix(s[k+1:])
			if err != nil {
				return nil, fmt.Errorf("bad string: %w", err)
			}
			j = k + 1 + len(q)
		}
		out = append(out, s[:j])
		s = s[j:]
	}
}

func (a *assembler) doLine(raw string) error {
	f, err := splitFields(raw)
	if err != nil {
		return a.errf("%v", err)
	}
	if len(f) == 0 {
		return nil
	}
	if strings.HasPrefix(f[0], ".") {
		return a.directive(f)
	}
	if a.fn == nil {
		return a.errf("instruction %q outside .func", f[0])
	}
	if len(f) == 1 && strings.HasSuffix(f[0], ":") {
		name := strings.TrimSuffix(f[0], ":")
		if _, dup := a.labels[name]; dup {
			return a.errf("label %q defined twice", name)
		}
		a.labels[name] = len(a.fn.Code)
		return nil
	}
	return a.instruction(f)
}

func atoiIn(s string, lo, hi int64) (int64, error) {
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d out of range [%d, %d]", v, lo, hi)
	}
	return v, nil
}

// kv parses key=value integer fields in order.
func (a *assembler) kv(fields []string, keys ...string) ([]int, error) {
	if len(fields) != len(keys) {
		return nil, a.errf("want %d key=value fields (%s), have %d", len(keys), strings.Join(keys, " "), len(fields))
	}
	out := make([]int, len(keys))
	for i, k := range keys {
		v, ok := strings.CutPrefix(fields[i], k+"=")
		if !ok {
			return nil, a.errf("want %s=..., have %q", k, fields[i])
		}
		n, err := atoiIn(v, math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, a.errf("%s: %v", k, err)
		}
		out[i] = int(n)
	}
	return out, nil
}

func (a *assembler) index(s string, want int) error {
	n, err := atoiIn(s, 0, math.MaxInt32)
	if err != nil {
		return a.errf("index: %v", err)
	}
	if int(n) != want {
		return a.errf("index %d out of order (want %d)", n, want)
	}
	return nil
}

func (a *assembler) directive(f []string) error {
	m := a.m
	args := f[1:]
	need := func(n int) error {
		if len(args) < n {
			return a.errf("%s needs %d operands", f[0], n)
		}
		return nil
	}
	intArg := func() (int, error) {
		if err := need(1); err != nil {
			return 0, err
		}
		v, err := atoiIn(args[0], -1, math.MaxInt32)
		if err != nil {
			return 0, a.errf("%s: %v", f[0], err)
		}
		return int(v), nil
	}
	if a.fn != nil && f[0] != ".line" && f[0] != ".end" {
		return a.errf("%s inside .func", f[0])
	}
	if a.fn == nil && (f[0] == ".line" || f[0] == ".end") {
		return a.errf("%s outside .func", f[0])
	}
	var err error
	switch f[0] {
	case ".entry":
		m.Entry, err = intArg()
	case ".globals":
		m.NGlobals, err = intArg()
	case ".errortype":
		m.ErrorType, err = intArg()
	case ".const":
		if err := need(3); err != nil {
			return err
		}
		if err := a.index(args[0], len(m.Consts)); err != nil {
			return err
		}
		if len(m.Consts) >= MaxConsts {
			return a.errf("too many constants")
		}
		var c Const
		switch args[1] {
		case "int":
			v, err := strconv.ParseInt(args[2], 0, 64)
			if err != nil {
				return a.errf("bad int constant %q", args[2])
			}
			c = IntConst(v)
		case "float":
			v, err := strconv.ParseUint(args[2], 0, 64)
			if err != nil {
				return a.errf("bad float bits %q", args[2])
			}
			c = Const{Kind: ConstFloat, N: v}
		case "string":
			s, err := strconv.Unquote(args[2])
			if err != nil {
				return a.errf("bad string constant %s", args[2])
			}
			c = StringConst(s)
		default:
			return a.errf("unknown constant kind %q", args[1])
		}
		m.Consts = append(m.Consts, c)
	case ".method":
		if err := need(2); err != nil {
			return err
		}
		if err := a.index(args[0], len(m.MethodNames)); err != nil {
			return err
		}
		s, err := strconv.Unquote(args[1])
		if err != nil {
			return a.errf("bad method name %s", args[1])
		}
		if len(m.MethodNames) >= MaxMethods {
			return a.errf("too many method names")
		}
		m.MethodNames = append(m.MethodNames, s)
	case ".type":
		if err := need(3); err != nil {
			return err
		}
		if err := a.index(args[0], len(m.Types)); err != nil {
			return err
		}
		k, ok := kindByName[args[1]]
		if !ok || k == KInvalid {
			return a.errf("unknown kind %q", args[1])
		}
		name, err := strconv.Unquote(args[2])
		if err != nil {
			return a.errf("bad type name %s", args[2])
		}
		v, err := a.kv(args[3:], "elem", "key", "len", "dir")
		if err != nil {
			return err
		}
		if len(m.Types) >= MaxTypes {
			return a.errf("too many types")
		}
		m.Types = append(m.Types, Type{Kind: k, Name: name, Elem: v[0], Key: v[1], Len: v[2], Dir: v[3]})
		a.lastTy = &m.Types[len(m.Types)-1]
	case ".field", ".tmethod", ".imethod":
		if len(m.Types) == 0 {
			return a.errf("%s before any .type", f[0])
		}
		t := &m.Types[len(m.Types)-1]
		switch f[0] {
		case ".field":
			if err := need(1); err != nil {
				return err
			}
			name, err := strconv.Unquote(args[0])
			if err != nil {
				return a.errf("bad field name %s", args[0])
			}
			v, err := a.kv(args[1:], "type", "ref", "index", "embedded")
			if err != nil {
				return err
			}
			if len(t.Fields) >= MaxFields {
				return a.errf("too many fields")
			}
			t.Fields = append(t.Fields, Field{Name: name, Type: v[0], Ref: v[1] != 0, Index: v[2], Embedded: v[3] != 0})
		case ".tmethod":
			v, err := a.kv(args, "name", "func", "ptr")
			if err != nil {
				return err
			}
			t.Methods = append(t.Methods, Method{Name: v[0], Func: v[1], PtrRecv: v[2] != 0})
		case ".imethod":
			v, err := intArg()
			if err != nil {
				return err
			}
			t.IMeths = append(t.IMeths, v)
		}
	case ".host":
		if err := need(2); err != nil {
			return err
		}
		if err := a.index(args[0], len(m.Hosts)); err != nil {
			return err
		}
		name, err := strconv.Unquote(args[1])
		if err != nil {
			return a.errf("bad host name %s", args[1])
		}
		v, err := a.kv(args[2:], "args", "results")
		if err != nil {
			return err
		}
		if len(m.Hosts) >= MaxHosts {
			return a.errf("too many hosts")
		}
		m.Hosts = append(m.Hosts, Host{Name: name, NArgs: v[0], NResult: v[1]})
	case ".func":
		if err := need(2); err != nil {
			return err
		}
		if err := a.index(args[0], len(m.Funcs)); err != nil {
			return err
		}
		name, err := strconv.Unquote(args[1])
		if err != nil {
			return a.errf("bad function name %s", args[1])
		}
		if len(args) < 3 || !strings.HasPrefix(args[2], "file=") {
			return a.errf(".func needs file=\"...\"")
		}
		file, err := strconv.Unquote(strings.TrimPrefix(args[2], "file="))
		if err != nil {
			return a.errf("bad file name %s", args[2])
		}
		v, err := a.kv(args[3:], "params", "results", "regs", "caps", "epilogue")
		if err != nil {
			return err
		}
		if len(m.Funcs) >= MaxFuncs {
			return a.errf("too many functions")
		}
		m.Funcs = append(m.Funcs, Func{Name: name, File: file, NParams: v[0], NResults: v[1], NRegs: v[2], NCaps: v[3], Epilogue: v[4]})
		a.fn = &m.Funcs[len(m.Funcs)-1]
		a.labels = map[string]int{}
		a.fix = nil
		a.curLn = 0
	case ".line":
		v, err := intArg()
		if err != nil {
			return err
		}
		if v < 0 {
			return a.errf("negative line")
		}
		a.curLn = int32(v)
	case ".end":
		for _, fx := range a.fix {
			t, ok := a.labels[fx.label]
			if !ok {
				return &AsmError{fx.line, fmt.Sprintf("undefined label %q", fx.label)}
			}
			off := t - (fx.pc + 1)
			if off < math.MinInt16 || off > math.MaxInt16 {
				return &AsmError{fx.line, "jump too far"}
			}
			ins := a.fn.Code[fx.pc]
			a.fn.Code[fx.pc] = AsBx(GetOp(ins), GetA(ins), int16(off))
		}
		a.fn = nil
	default:
		return a.errf("unknown directive %s", f[0])
	}
	return err
}

func (a *assembler) instruction(f []string) error {
	op, ok := opByName[strings.ToUpper(f[0])]
	if !ok {
		return a.errf("unknown instruction %q", f[0])
	}
	if len(a.fn.Code) >= MaxCode {
		return a.errf("function too long")
	}
	info := &Ops[op]
	var roles []Role
	for _, ro := range []Role{info.A, info.B, info.C} {
		if ro != RNone {
			roles = append(roles, ro)
		}
	}
	if info.Format != FmtABC && info.A == RNone {
		roles = []Role{info.B}
	}
	ops := f[1:]
	if len(ops) != len(roles) {
		return a.errf("%s takes %d operands, have %d", info.Name, len(roles), len(ops))
	}
	pc := len(a.fn.Code)
	vals := make([]int, len(roles))
	var label string
	for i, ro := range roles {
		s := ops[i]
		prefix := map[Role]string{RReg: "r", RConst: "k", RFunc: "f", RType: "t", RHost: "h", RMeth: "m", RGlob: "g"}[ro]
		lo, hi := int64(0), int64(255)
		switch {
		case ro == RJump:
			if strings.HasPrefix(s, "@") {
				t, err := atoiIn(s[1:], 0, MaxCode)
				if err != nil {
					return a.errf("jump target: %v", err)
				}
				vals[i] = int(t) - (pc + 1)
				if vals[i] < math.MinInt16 || vals[i] > math.MaxInt16 {
					return a.errf("jump too far")
				}
			} else {
				label = s
			}
			continue
		case ro == RImm:
			lo, hi = -128, 127
			if info.Format != FmtABC {
				lo, hi = math.MinInt16, math.MaxInt16
			}
		case info.Format == FmtAx:
			hi = 1<<24 - 1
		case info.Format != FmtABC && i == 1:
			hi = 65535
		}
		if prefix != "" {
			if !strings.HasPrefix(s, prefix) {
				return a.errf("operand %d of %s: want %s<number>, have %q", i+1, info.Name, prefix, s)
			}
			s = s[len(prefix):]
		}
		v, err := atoiIn(s, lo, hi)
		if err != nil {
			return a.errf("operand %d of %s: %v", i+1, info.Name, err)
		}
		vals[i] = int(v)
	}
	var ins uint32
	get := func(i int) int {
		if i < len(vals) {
			return vals[i]
		}
		return 0
	}
	switch info.Format {
	case FmtABC:
		var fv [3]int
		k := 0
		for j, ro := range []Role{info.A, info.B, info.C} {
			if ro != RNone {
				fv[j] = get(k)
				k++
			}
		}
		ins = ABC(op, uint8(fv[0]), uint8(fv[1]), uint8(fv[2]))
	case FmtABx:
		ins = ABx(op, uint8(get(0)), uint16(get(1)))
	case FmtAsBx:
		if info.A == RNone {
			ins = AsBx(op, 0, int16(get(0)))
		} else {
			ins = AsBx(op, uint8(get(0)), int16(get(1)))
		}
	case FmtAx:
		ins = Ax(op, uint32(get(0)))
	}
	if label != "" {
		a.fix = append(a.fix, fixup{pc: pc, label: label, line: a.line})
	}
	a.fn.Code = append(a.fn.Code, ins)
	a.fn.Lines = append(a.fn.Lines, a.curLn)
	return nil
}
