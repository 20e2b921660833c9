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
		k := x % 5000
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
		if im.n != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, im.n, len(ref))
		}
	}
	if len(im.keyList()) != len(ref) {
		t.Fatal("key list length")
	}
}
