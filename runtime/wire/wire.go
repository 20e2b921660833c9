// Package wire is the encoding of the config that minictr sends to the container's init: a
// Go value written field by field in declaration order, by reflection, with nothing built
// per type.
//
// Why not JSON: the init is a fresh process that decodes one spec and execs. encoding/json
// spends 0.6-0.8 ms of that process building its per-type field tables (a second decode of
// the same spec takes 40 us), and the parent as much again to encode. Here both ends walk the
// value once: about 30 us for a default spec.
//
// The two ends must be the same build (the init is minictr itself, or the init binary built
// with it): the encoding names no fields. A fingerprint of the type's shape (field names,
// kinds, element types) leads every message, and Decode refuses a message whose fingerprint
// is not its own, so two builds that disagree fail with a clear error instead of
// misreading each other.
//
// Supported: bools, integers, floats, strings, slices, arrays, maps, pointers, structs with
// exported fields, and interfaces (as JSON, for the spec's one such field). Decode checks
// every length against the bytes left, so a short or corrupt message is an error, never a
// panic or a huge allocation.
package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
)

// maxDepth bounds nesting, against a corrupt message describing an endless chain of pointers.
const maxDepth = 64

// Encode appends the encoding of the value v points to to buf.
func Encode(buf []byte, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("wire: encode %T: need a non-nil pointer", v)
	}
	buf = binary.BigEndian.AppendUint64(buf, Fingerprint(rv.Type()))
	e := encoder{buf: buf}
	if err := e.value(rv.Elem(), 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Decode fills the value v points to from data, which Encode made from a value of the same
// type in the same build.
func Decode(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("wire: decode into %T: need a non-nil pointer", v)
	}
	if len(data) < 8 {
		return errors.New("wire: message shorter than its fingerprint")
	}
	got, want := binary.BigEndian.Uint64(data), Fingerprint(rv.Type())
	if got != want {
		return fmt.Errorf("wire: message from another build (type fingerprint %016x, this build's is %016x): the minictr binaries must come from one build", got, want)
	}
	d := decoder{data: data[8:]}
	if err := d.value(rv.Elem(), 0); err != nil {
		return err
	}
	if len(d.data) != 0 {
		return fmt.Errorf("wire: %d bytes left over after the value", len(d.data))
	}
	return nil
}

type encoder struct{ buf []byte }

func (e *encoder) uint(u uint64) { e.buf = binary.AppendUvarint(e.buf, u) }

// length writes a slice's or map's length, 0 for nil, so nil and empty stay apart.
func (e *encoder) length(v reflect.Value) {
	if v.IsNil() {
		e.uint(0)
	} else {
		e.uint(uint64(v.Len()) + 1)
	}
}

func (e *encoder) value(v reflect.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("wire: %s nested more than %d deep", v.Type(), maxDepth)
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = binary.AppendVarint(e.buf, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.uint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(v.Float()))
	case reflect.String:
		e.uint(uint64(v.Len()))
		e.buf = append(e.buf, v.String()...)
	case reflect.Slice:
		e.length(v)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.buf = append(e.buf, v.Bytes()...)
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		e.length(v)
		it := v.MapRange()
		for it.Next() {
			if err := e.value(it.Key(), depth+1); err != nil {
				return err
			}
			if err := e.value(it.Value(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.buf = append(e.buf, 0)
			return nil
		}
		e.buf = append(e.buf, 1)
		return e.value(v.Elem(), depth+1)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				return fmt.Errorf("wire: %s.%s is not exported", t, t.Field(i).Name)
			}
			if err := e.value(v.Field(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Interface:
		if v.IsNil() {
			e.uint(0)
			return nil
		}
		data, err := json.Marshal(v.Interface())
		if err != nil {
			return fmt.Errorf("wire: %s: %w", v.Type(), err)
		}
		e.uint(uint64(len(data)) + 1)
		e.buf = append(e.buf, data...)
	default:
		return fmt.Errorf("wire: cannot encode a %s", v.Type())
	}
	return nil
}

type decoder struct{ data []byte }

var errShort = errors.New("wire: message ends in the middle of a value")

func (d *decoder) uint() (uint64, error) {
	u, n := binary.Uvarint(d.data)
	if n <= 0 {
		return 0, errShort
	}
	d.data = d.data[n:]
	return u, nil
}

// length reads what encoder.length wrote; each element takes at least one byte, so a count
// beyond the bytes left is corrupt (checked before anything is allocated).
func (d *decoder) length() (n int, isNil bool, err error) {
	u, err := d.uint()
	if err != nil {
		return 0, false, err
	}
	if u == 0 {
		return 0, true, nil
	}
	if u-1 > uint64(len(d.data)) {
		return 0, false, errShort
	}
	return int(u - 1), false, nil
}

func (d *decoder) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(d.data)) {
		return nil, errShort
	}
	b := d.data[:n]
	d.data = d.data[n:]
	return b, nil
}

func (d *decoder) value(v reflect.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("wire: %s nested more than %d deep", v.Type(), maxDepth)
	}
	switch v.Kind() {
	case reflect.Bool:
		b, err := d.bytes(1)
		if err != nil {
			return err
		}
		v.SetBool(b[0] != 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, n := binary.Varint(d.data)
		if n <= 0 {
			return errShort
		}
		d.data = d.data[n:]
		if v.OverflowInt(i) {
			return fmt.Errorf("wire: %d overflows %s", i, v.Type())
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, err := d.uint()
		if err != nil {
			return err
		}
		if v.OverflowUint(u) {
			return fmt.Errorf("wire: %d overflows %s", u, v.Type())
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		b, err := d.bytes(8)
		if err != nil {
			return err
		}
		v.SetFloat(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case reflect.String:
		n, err := d.uint()
		if err != nil {
			return err
		}
		b, err := d.bytes(n)
		if err != nil {
			return err
		}
		v.SetString(string(b))
	case reflect.Slice:
		n, isNil, err := d.length()
		if err != nil || isNil {
			return err
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b, err := d.bytes(uint64(n))
			if err != nil {
				return err
			}
			v.SetBytes(append([]byte{}, b...))
			return nil
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			if err := d.value(s.Index(i), depth+1); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := d.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		n, isNil, err := d.length()
		if err != nil || isNil {
			return err
		}
		t := v.Type()
		m := reflect.MakeMapWithSize(t, n)
		for i := 0; i < n; i++ {
			k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			if err := d.value(k, depth+1); err != nil {
				return err
			}
			if err := d.value(e, depth+1); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		b, err := d.bytes(1)
		if err != nil {
			return err
		}
		switch b[0] {
		case 0:
			v.SetZero()
			return nil
		case 1:
		default:
			return fmt.Errorf("wire: pointer marker %d", b[0])
		}
		p := reflect.New(v.Type().Elem())
		if err := d.value(p.Elem(), depth+1); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if err := d.value(v.Field(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Interface:
		n, err := d.uint()
		if err != nil || n == 0 {
			return err
		}
		b, err := d.bytes(n - 1)
		if err != nil {
			return err
		}
		p := reflect.New(v.Type())
		if err := json.Unmarshal(b, p.Interface()); err != nil {
			return fmt.Errorf("wire: %s: %w", v.Type(), err)
		}
		v.Set(p.Elem())
	default:
		return fmt.Errorf("wire: cannot decode a %s", v.Type())
	}
	return nil
}

var fingerprints sync.Map // reflect.Type -> uint64

// Fingerprint is a hash (FNV-1a) of t's shape: kinds, struct field names and the types they
// lead to, recursively. Two builds whose types would be encoded differently get different
// fingerprints. About 40 us for the spec type in a fresh process; then cached.
func Fingerprint(t reflect.Type) uint64 {
	if f, ok := fingerprints.Load(t); ok {
		return f.(uint64)
	}
	fp := &fingerprinter{h: 14695981039346656037, seen: map[reflect.Type]int{}}
	fp.walk(t)
	fingerprints.Store(t, fp.h)
	return fp.h
}

type fingerprinter struct {
	h    uint64
	seen map[reflect.Type]int
}

func (fp *fingerprinter) byte(b byte) { fp.h = (fp.h ^ uint64(b)) * 1099511628211 }

func (fp *fingerprinter) int(n int) {
	for i := 0; i < 4; i++ {
		fp.byte(byte(n >> (8 * i)))
	}
}

func (fp *fingerprinter) string(s string) {
	fp.int(len(s))
	for i := 0; i < len(s); i++ {
		fp.byte(s[i])
	}
}

func (fp *fingerprinter) walk(t reflect.Type) {
	if n, seen := fp.seen[t]; seen {
		// A type met before (a recursive one, or shared): its number, not its body again.
		fp.byte('@')
		fp.int(n)
		return
	}
	fp.seen[t] = len(fp.seen)
	fp.byte(byte(t.Kind()))
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		fp.walk(t.Elem())
	case reflect.Array:
		fp.int(t.Len())
		fp.walk(t.Elem())
	case reflect.Map:
		fp.walk(t.Key())
		fp.walk(t.Elem())
	case reflect.Struct:
		n := t.NumField()
		fp.int(n)
		for i := 0; i < n; i++ {
			f := t.Field(i)
			fp.string(f.Name)
			fp.walk(f.Type)
		}
	}
	fp.byte(';')
}
