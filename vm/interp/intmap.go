package interp

import "unsafe"

// intMap is an open-addressing hash table (linear probing, load factor at most 1/2) for maps
// with integer-like keys. An entry is just key and value: a stored key 0 marks an empty slot,
// and the real key 0 lives beside the table. The hash folds high bits into low ones and
// otherwise keeps key order, so nearby keys stay in nearby slots (as Lua's tables do). A
// hostile key pattern can make probes long; it only slows the program that chose it.
type intMap[V any] struct {
	ents    []intEntry[V]
	n       int // entries in ents
	mask    uint64
	hasZero bool
	zeroV   V
}

type intEntry[V any] struct {
	k uint64
	v V
}

func mix(k uint64) uint64 { return k ^ k>>21 ^ k>>42 }

func (t *intMap[V]) len() int {
	if t.hasZero {
		return t.n + 1
	}
	return t.n
}

func (t *intMap[V]) get(k uint64) (V, bool) {
	if k == 0 {
		return t.zeroV, t.hasZero
	}
	var zero V
	if t.n == 0 {
		return zero, false
	}
	for i := mix(k) & t.mask; ; i = (i + 1) & t.mask {
		e := &t.ents[i]
		if e.k == k {
			return e.v, true
		}
		if e.k == 0 {
			return zero, false
		}
	}
}

func (t *intMap[V]) set(k uint64, v V) {
	if k == 0 {
		t.hasZero, t.zeroV = true, v
		return
	}
	if 2*(t.n+1) > len(t.ents) {
		t.grow()
	}
	i := mix(k) & t.mask
	for ; t.ents[i].k != 0; i = (i + 1) & t.mask {
		if t.ents[i].k == k {
			t.ents[i].v = v
			return
		}
	}
	t.ents[i] = intEntry[V]{k: k, v: v}
	t.n++
}

func (t *intMap[V]) grow() {
	n := 4 * len(t.ents) // grow by 4: fewer rehashes of the whole table
	if n < 8 {
		n = 8
	}
	old := t.ents
	t.ents, t.mask = make([]intEntry[V], n), uint64(n-1)
	if size := uintptr(n) * unsafe.Sizeof(t.ents[0]); size >= 1<<20 {
		prefault(unsafe.Pointer(&t.ents[0]), size)
	}
	for _, e := range old {
		if e.k != 0 {
			i := mix(e.k) & t.mask
			for t.ents[i].k != 0 {
				i = (i + 1) & t.mask
			}
			t.ents[i] = e
		}
	}
}

func (t *intMap[V]) del(k uint64) {
	if k == 0 {
		var zero V
		t.hasZero, t.zeroV = false, zero
		return
	}
	if t.n == 0 {
		return
	}
	i := mix(k) & t.mask
	for ; ; i = (i + 1) & t.mask {
		if t.ents[i].k == 0 {
			return
		}
		if t.ents[i].k == k {
			break
		}
	}
	// backward-shift deletion keeps probe sequences unbroken
	for j := (i + 1) & t.mask; t.ents[j].k != 0; j = (j + 1) & t.mask {
		home := mix(t.ents[j].k) & t.mask
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.ents[i] = t.ents[j]
			i = j
		}
	}
	t.ents[i] = intEntry[V]{}
	t.n--
}

func (t *intMap[V]) keyList() []uint64 {
	out := make([]uint64, 0, t.len())
	if t.hasZero {
		out = append(out, 0)
	}
	for i := range t.ents {
		if t.ents[i].k != 0 {
			out = append(out, t.ents[i].k)
		}
	}
	return out
}
