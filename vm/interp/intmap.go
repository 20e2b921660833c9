package interp

// intMap is an open-addressing hash table (linear probing, load factor at most 1/2, one array
// of entries so a probe touches one cache line) for maps with integer-like keys. Its hash folds
// high bits into low ones and otherwise keeps key order, so nearby keys stay in nearby slots
// (as Lua's tables do); the VM's map[int]T workloads run faster than with the general Go map.
type intMap[V any] struct {
	ents []intEntry[V]
	n    int
	mask uint64
}

type intEntry[V any] struct {
	k    uint64
	v    V
	used bool
}

func mix(k uint64) uint64 { return k ^ k>>21 ^ k>>42 }

func (t *intMap[V]) get(k uint64) (V, bool) {
	var zero V
	if t.n == 0 {
		return zero, false
	}
	for i := mix(k) & t.mask; ; i = (i + 1) & t.mask {
		e := &t.ents[i]
		if !e.used {
			return zero, false
		}
		if e.k == k {
			return e.v, true
		}
	}
}

func (t *intMap[V]) set(k uint64, v V) {
	if 2*(t.n+1) > len(t.ents) {
		t.grow()
	}
	i := mix(k) & t.mask
	for ; t.ents[i].used; i = (i + 1) & t.mask {
		if t.ents[i].k == k {
			t.ents[i].v = v
			return
		}
	}
	t.ents[i] = intEntry[V]{k: k, v: v, used: true}
	t.n++
}

func (t *intMap[V]) grow() {
	n := 4 * len(t.ents) // grow by 4: fewer rehashes of the whole table
	if n < 8 {
		n = 8
	}
	old := t.ents
	t.ents, t.mask, t.n = make([]intEntry[V], n), uint64(n-1), 0
	for i := range old {
		if old[i].used {
			t.set(old[i].k, old[i].v)
		}
	}
}

func (t *intMap[V]) del(k uint64) {
	if t.n == 0 {
		return
	}
	i := mix(k) & t.mask
	for ; ; i = (i + 1) & t.mask {
		if !t.ents[i].used {
			return
		}
		if t.ents[i].k == k {
			break
		}
	}
	// backward-shift deletion keeps probe sequences unbroken
	for j := (i + 1) & t.mask; t.ents[j].used; j = (j + 1) & t.mask {
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
	out := make([]uint64, 0, t.n)
	for i := range t.ents {
		if t.ents[i].used {
			out = append(out, t.ents[i].k)
		}
	}
	return out
}
