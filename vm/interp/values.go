// Package interp runs verified bytecode modules: the interpreter loop, the green-thread
// scheduler, channels, panics and the host functions (fmt, strconv, strings, math, time, os...).
package interp

import (
	"github.com/minictr/minictr/vm/isa"
)

// rtype is the runtime form of an isa.Type.
type rtype struct {
	idx     int
	t       *isa.Type
	kind    isa.Kind
	elem    *rtype
	key     *rtype
	numN    int
	numR    int
	aggR    []int     // reference slots holding aggregates (deep-copied)
	aggT    []*rtype  // their types
	meths   []*fnInfo // indexed by method name; nil when absent
	ptrRecv []bool
	name    string
}

// Struct is a struct or array value (arrays keep their elements in N or R).
type Struct struct {
	T *rtype
	N []uint64
	R []any
}

// Iface is a non-nil interface value: a dynamic type and a value.
type Iface struct {
	T *rtype
	N uint64
	R any
}

// Cell is a captured variable.
type Cell struct {
	N uint64
	R any
}

// Closure is a function value.
type Closure struct {
	F     *fnInfo
	Cells []*Cell
}

type slot struct {
	n uint64
	r any
}

// Map is a Go map keyed by an integer-like value or a string.
type Map struct {
	T      *rtype
	I      *intMap[slot]   // integer keys, reference values
	IN     *intMap[uint64] // integer keys, scalar values (no pointers for the GC to scan)
	S      map[string]slot
	strKey bool
}

func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	if m.strKey {
		return len(m.S)
	}
	if m.IN != nil {
		return m.IN.len()
	}
	return m.I.len()
}

type mapIter struct {
	m    *Map
	ik   []uint64
	sk   []string
	next int
}

// newZero returns the zero value of an aggregate type.
func newZero(t *rtype) *Struct {
	s := &Struct{T: t}
	if t.numN > 0 {
		s.N = make([]uint64, t.numN)
	}
	if t.numR > 0 {
		s.R = make([]any, t.numR)
		for i, k := range t.aggR {
			s.R[k] = newZero(t.aggT[i])
		}
	}
	return s
}

// clone deep-copies an aggregate value (nested aggregates too; references are shared).
func clone(s *Struct) *Struct {
	if s == nil {
		return nil
	}
	c := &Struct{T: s.T}
	if s.N != nil {
		c.N = append([]uint64(nil), s.N...)
	}
	if s.R != nil {
		c.R = append([]any(nil), s.R...)
		for _, k := range s.T.aggR {
			if sub, ok := c.R[k].(*Struct); ok {
				c.R[k] = clone(sub)
			}
		}
	}
	return c
}

// copyInto overwrites dst with a deep copy of src, keeping dst's identity (pointers to dst see
// the new value).
func copyInto(dst, src *Struct) {
	if dst == src {
		return
	}
	copy(dst.N, src.N)
	for i := range dst.R {
		dst.R[i] = src.R[i]
	}
	for _, k := range src.T.aggR {
		if sub, ok := src.R[k].(*Struct); ok {
			dst.R[k] = clone(sub)
		}
	}
}

func (m *Map) getInt(k uint64) (slot, bool) {
	if m.IN != nil {
		n, ok := m.IN.get(k)
		return slot{n: n}, ok
	}
	return m.I.get(k)
}

func (m *Map) intKeys() []uint64 {
	if m.IN != nil {
		return m.IN.keyList()
	}
	return m.I.keyList()
}
