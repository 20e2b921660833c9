package interp

import "testing"

// TestIntMapAgainstGoMap drives intMap and a Go map with the same operations.
func TestIntMapAgainstGoMap(t *testing.T) {
	im := &intMap[slot]{}
	ref := map[uint64]uint64{}
	x := uint64(12345)
	for step := 0; step < 200000; step++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		k := x % 5000 // includes the key 0
		switch x % 3 {
		case 0:
			im.set(k, slot{n: x})
			ref[k] = x
		case 1:
			im.del(k)
			delete(ref, k)
		case 2:
			v, ok := im.get(k)
			rv, rok := ref[k]
			if ok != rok || ok && v.n != rv {
				t.Fatalf("step %d key %d: got %v %v, want %v %v", step, k, v.n, ok, rv, rok)
			}
		}
		if im.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, im.n, len(ref))
		}
	}
	if len(im.keyList()) != len(ref) {
		t.Fatal("key list length")
	}
}

func BenchmarkIntMapInsertLookup(b *testing.B) {
	for i := 0; i < b.N; i++ {
		t := &intMap[uint64]{}
		for k := uint64(0); k < 1000000; k++ {
			t.set(k*7, k)
		}
		s := uint64(0)
		for k := uint64(0); k < 1000000; k++ {
			v, _ := t.get(k * 7)
			s += v
		}
		for k := uint64(0); k < 1000000; k++ {
			if _, ok := t.get(k); ok {
				s++
			}
		}
		_ = s
	}
}

// TestIntMapLarge grows a table past the size whose memory is given the huge-page hint and
// checks every entry survives the rehashes, deletes and a second round of inserts.
func TestIntMapLarge(t *testing.T) {
	const n = 600000 // the last growth makes a 2M-entry (32 MiB) table
	var m intMap[uint64]
	for i := uint64(0); i < n; i++ {
		m.set(i*7, i)
	}
	for i := uint64(0); i < n; i += 3 {
		m.del(i * 7)
	}
	for i := uint64(0); i < n; i++ {
		v, ok := m.get(i * 7)
		if want := i%3 != 0; ok != want || ok && v != i {
			t.Fatalf("get(%d) = %d, %v; want %d, %v", i*7, v, ok, i, want)
		}
	}
	if got, want := m.len(), n-(n+2)/3; got != want {
		t.Fatalf("len = %d, want %d", got, want)
	}
}
