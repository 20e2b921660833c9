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
