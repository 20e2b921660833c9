package reference

import "testing"

// FuzzParse: any string either fails with ErrInvalid or parses to a reference whose canonical
// form parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"busybox", "127.0.0.1:5000/a/b:v1", "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "a..b", "h:1/x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		r2, err := Parse(r.String())
		if err != nil || r2 != r {
			t.Fatalf("Parse(%q) = %+v; Parse(%q) = %+v, %v", s, r, r.String(), r2, err)
		}
	})
}
