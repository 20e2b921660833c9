package interp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/minictr/minictr/vm/isa"
)

// The fmt intrinsics: scalars are formatted by the host's fmt with the same verb and flags;
// composite values (slices, arrays, maps, structs, pointers) are walked here as fmt does.

func argList(v any) []*Iface {
	s, _ := v.([]any)
	out := make([]*Iface, len(s))
	for i, x := range s {
		out[i], _ = x.(*Iface)
	}
	return out
}

func (m *Machine) sprint(g *G, v any, ln bool) string {
	args := argList(v)
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			isStr := func(x *Iface) bool { return x != nil && x.T != nil && x.T.kind == isa.KString }
			if ln || (!isStr(a) && !isStr(args[i-1])) {
				b.WriteByte(' ')
			}
		}
		m.formatArg(g, &b, a, "%v", 'v', 0)
	}
	if ln {
		b.WriteByte('\n')
	}
	return b.String()
}

func (m *Machine) formatPanicVal(g *G, v *Iface) string {
	if s, ok := m.methodString(g, v); ok {
		return s
	}
	var b strings.Builder
	m.formatArg(nil, &b, v, "%v", 'v', 0)
	s := b.String()
	switch v.T.kind {
	case isa.KString:
		if v.T.name != "string" {
			return fmt.Sprintf("%s(%q)", v.T.name, s)
		}
		return s
	case isa.KStruct, isa.KPointer, isa.KSlice, isa.KMap:
		return fmt.Sprintf("(%s) %s", v.T.name, s)
	}
	if v.T.name != v.T.kind.String() {
		return fmt.Sprintf("%s(%s)", v.T.name, s)
	}
	return s
}

func (m *Machine) sprintf(g *G, format string, v any) string {
	args := argList(v)
	var b strings.Builder
	ai := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		var spec strings.Builder
		spec.WriteByte('%')
		for j < len(format) && strings.IndexByte("+-# 0", format[j]) >= 0 {
			spec.WriteByte(format[j])
			j++
		}
		num := func() {
			if j < len(format) && format[j] == '*' {
				j++
				if ai < len(args) && args[ai] != nil && args[ai].T != nil && args[ai].T.kind >= isa.KInt && args[ai].T.kind <= isa.KUintptr {
					fmt.Fprintf(&spec, "%d", int64(args[ai].N))
				}
				ai++
				return
			}
			for j < len(format) && format[j] >= '0' && format[j] <= '9' {
				spec.WriteByte(format[j])
				j++
			}
		}
		num()
		if j < len(format) && format[j] == '.' {
			spec.WriteByte('.')
			j++
			num()
		}
		if j >= len(format) {
			b.WriteString("%!(NOVERB)")
			break
		}
		verb := rune(format[j])
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		spec.WriteRune(verb)
		if ai >= len(args) {
			fmt.Fprintf(&b, "%%!%c(MISSING)", verb)
			continue
		}
		m.formatArg(g, &b, args[ai], spec.String(), verb, 0)
		ai++
	}
	if ai < len(args) {
		b.WriteString("%!(EXTRA ")
		for k, a := range args[ai:] {
			if k > 0 {
				b.WriteString(", ")
			}
			if a == nil {
				b.WriteString("<nil>")
				continue
			}
			b.WriteString(a.T.name + "=")
			m.formatArg(g, &b, a, "%v", 'v', 0)
		}
		b.WriteString(")")
	}
	return b.String()
}

// elemIface wraps an element stored in a container as an interface value of static type t.
func elemIface(t *rtype, n uint64, r any) *Iface {
	if t.kind == isa.KInterface {
		iv, _ := r.(*Iface)
		return iv
	}
	return &Iface{T: t, N: n, R: r}
}

func (m *Machine) formatArg(g *G, b *strings.Builder, v *Iface, spec string, verb rune, depth int) {
	if v == nil || v.T == nil {
		if v != nil {
			b.WriteString(str(v.R))
			return
		}
		if verb == 'v' || verb == 's' {
			b.WriteString(fmt.Sprintf(strings.Replace(spec, string(verb), "s", 1), "<nil>"))
		} else {
			fmt.Fprintf(b, "%%!%c(<nil>)", verb)
		}
		return
	}
	if verb == 'T' {
		b.WriteString(fmt.Sprintf(strings.Replace(spec, "T", "s", 1), v.T.name))
		return
	}
	if depth > 20 {
		b.WriteString("...")
		return
	}
	if verb == 'v' || verb == 's' || verb == 'q' {
		if s, ok := m.methodString(g, v); ok {
			b.WriteString(fmt.Sprintf(spec, s))
			return
		}
	}
	t := v.T
	switch t.kind {
	case isa.KBool:
		b.WriteString(fmt.Sprintf(spec, v.N != 0))
	case isa.KInt, isa.KInt8, isa.KInt16, isa.KInt32, isa.KInt64:
		b.WriteString(fmt.Sprintf(spec, int64(v.N)))
	case isa.KUint, isa.KUint8, isa.KUint16, isa.KUint32, isa.KUint64, isa.KUintptr:
		b.WriteString(fmt.Sprintf(spec, v.N))
	case isa.KFloat32:
		b.WriteString(fmt.Sprintf(spec, float32(f64(v.N))))
	case isa.KFloat64:
		b.WriteString(fmt.Sprintf(spec, f64(v.N)))
	case isa.KString:
		b.WriteString(fmt.Sprintf(spec, str(v.R)))
	case isa.KSlice, isa.KArray:
		if bs, ok := v.R.([]byte); ok && t.elem.kind == isa.KUint8 && (verb == 's' || verb == 'q' || verb == 'x' || verb == 'X') {
			b.WriteString(fmt.Sprintf(spec, bs))
			return
		}
		var elems []*Iface
		switch x := v.R.(type) {
		case []uint64:
			for _, e := range x {
				elems = append(elems, elemIface(t.elem, e, nil))
			}
		case []byte:
			for _, e := range x {
				elems = append(elems, elemIface(t.elem, uint64(e), nil))
			}
		case []any:
			for _, e := range x {
				elems = append(elems, elemIface(t.elem, 0, e))
			}
		case *Struct:
			for _, e := range x.N {
				elems = append(elems, elemIface(t.elem, e, nil))
			}
			for _, e := range x.R {
				elems = append(elems, elemIface(t.elem, 0, e))
			}
		}
		b.WriteByte('[')
		for i, e := range elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			m.formatArg(g, b, e, spec, verb, depth+1)
		}
		b.WriteByte(']')
	case isa.KMap:
		mp, _ := v.R.(*Map)
		b.WriteString("map[")
		if mp != nil {
			type kv struct {
				k, v *Iface
				ik   uint64
				sk   string
			}
			var items []kv
			if mp.strKey {
				for k, s := range mp.S {
					items = append(items, kv{k: &Iface{T: t.key, R: k}, v: elemIface(t.elem, s.n, s.r), sk: k})
				}
				sort.Slice(items, func(i, j int) bool { return items[i].sk < items[j].sk })
			} else {
				for _, k := range mp.intKeys() {
					s, _ := mp.getInt(k)
					items = append(items, kv{k: &Iface{T: t.key, N: k}, v: elemIface(t.elem, s.n, s.r), ik: k})
				}
				signed := t.key.kind >= isa.KInt && t.key.kind <= isa.KInt64
				float := t.key.kind == isa.KFloat64 || t.key.kind == isa.KFloat32
				sort.Slice(items, func(i, j int) bool {
					if signed {
						return int64(items[i].ik) < int64(items[j].ik)
					}
					if float {
						return f64(items[i].ik) < f64(items[j].ik)
					}
					return items[i].ik < items[j].ik
				})
			}
			for i, it := range items {
				if i > 0 {
					b.WriteByte(' ')
				}
				m.formatArg(g, b, it.k, spec, verb, depth+1)
				b.WriteByte(':')
				m.formatArg(g, b, it.v, spec, verb, depth+1)
			}
		}
		b.WriteByte(']')
	case isa.KStruct:
		s, _ := v.R.(*Struct)
		b.WriteByte('{')
		plus := strings.Contains(spec, "+")
		if s != nil {
			for i, f := range t.t.Fields {
				if i > 0 {
					b.WriteByte(' ')
				}
				if plus {
					b.WriteString(f.Name + ":")
				}
				ft := m.types[f.Type]
				var e *Iface
				if f.Ref {
					e = elemIface(ft, 0, s.R[f.Index])
				} else {
					e = elemIface(ft, s.N[f.Index], nil)
				}
				m.formatArg(g, b, e, spec, verb, depth+1)
			}
		}
		b.WriteByte('}')
	case isa.KPointer:
		s, _ := v.R.(*Struct)
		if s == nil {
			b.WriteString("<nil>")
			return
		}
		if depth == 0 && t.elem.kind.IsAggregate() {
			b.WriteByte('&')
			m.formatArg(g, b, &Iface{T: t.elem, R: s}, spec, verb, depth+1)
			return
		}
		fmt.Fprintf(b, "%p", s)
	case isa.KInterface:
		iv, _ := v.R.(*Iface)
		m.formatArg(g, b, iv, spec, verb, depth)
	default:
		if isNil(v.R) {
			b.WriteString("<nil>")
			return
		}
		fmt.Fprintf(b, "%p", v.R)
	}
}
