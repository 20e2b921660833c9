package wire

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fill sets every field reachable from v to a pseudo-random non-zero value (one to three
// elements per slice and map), so a round trip exercises every field of the type.
func fill(v reflect.Value, r *rand.Rand, depth int) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(r.Intn(200) - 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(r.Intn(250) + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(r.Float64())
	case reflect.String:
		v.SetString(strings.Repeat("x", r.Intn(5)+1) + "\x00é")
	case reflect.Slice:
		n := r.Intn(3) + 1
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			fill(s.Index(i), r, depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), r, depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := 0; i < r.Intn(3)+1; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, r, depth+1)
			fill(e, r, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		if depth > 20 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), r, depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), r, depth+1)
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"k": "v"}))
	}
}

func TestRoundTripFullSpec(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		var in specs.Spec
		fill(reflect.ValueOf(&in).Elem(), rand.New(rand.NewSource(seed)), 0)
		data, err := Encode(nil, &in)
		if err != nil {
			t.Fatal(err)
		}
		var out specs.Spec
		if err := Decode(data, &out); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !reflect.DeepEqual(&in, &out) {
			a, _ := json.Marshal(&in)
			b, _ := json.Marshal(&out)
			t.Fatalf("seed %d: round trip differs:\nin  %s\nout %s", seed, a, b)
		}
	}
}

// The init's process set-up tells nil from empty (an empty args list is not a missing one,
// an empty env is not the default one).
func TestNilAndEmptyStayApart(t *testing.T) {
	type T struct {
		A, B []string
		M, N map[string]string
		P    *int
	}
	in := T{A: nil, B: []string{}, M: nil, N: map[string]string{}}
	data, err := Encode(nil, &in)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := Decode(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.A != nil || out.B == nil || out.M != nil || out.N == nil || out.P != nil {
		t.Fatalf("nil/empty lost: %#v", out)
	}
}

// Every truncation of a valid message is an error, never a panic or a wrong value.
func TestTruncatedIsAnError(t *testing.T) {
	var in specs.Spec
	fill(reflect.ValueOf(&in).Elem(), rand.New(rand.NewSource(7)), 0)
	data, err := Encode(nil, &in)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n++ {
		var out specs.Spec
		if err := Decode(data[:n], &out); err == nil {
			t.Fatalf("decode of the first %d of %d bytes succeeded", n, len(data))
		}
	}
	var out specs.Spec
	if err := Decode(append(data, 0), &out); err == nil || !strings.Contains(err.Error(), "left over") {
		t.Fatalf("trailing byte: %v", err)
	}
}

func TestOtherBuildRefused(t *testing.T) {
	type V1 struct{ A, B string }
	type V2 struct{ A, C string } // same layout, another field name: another build's type
	data, err := Encode(nil, &V1{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	var v V2
	err = Decode(data, &v)
	if err == nil || !strings.Contains(err.Error(), "another build") {
		t.Fatalf("decode into a differently shaped type: %v", err)
	}
	if Fingerprint(reflect.TypeFor[*specs.Spec]()) == Fingerprint(reflect.TypeFor[*specs.Process]()) {
		t.Fatal("two different types share a fingerprint")
	}
}

func TestRefusesUnsupported(t *testing.T) {
	type withFunc struct{ F func() }
	if _, err := Encode(nil, &withFunc{}); err == nil {
		t.Fatal("a func field was encoded")
	}
	type unexported struct{ a int }
	if _, err := Encode(nil, &unexported{}); err == nil {
		t.Fatal("an unexported field was encoded")
	}
	if _, err := Encode(nil, specs.Spec{}); err == nil {
		t.Fatal("a non-pointer was encoded")
	}
}

// A huge length in a corrupt message is refused before anything is allocated.
func TestHugeLengthRefused(t *testing.T) {
	type T struct{ S []string }
	data, _ := Encode(nil, &T{})
	corrupt := append(data[:8:8], 0xff, 0xff, 0xff, 0xff, 0x0f)
	var out T
	if err := Decode(corrupt, &out); err == nil {
		t.Fatal("a length beyond the message was accepted")
	}
}

func FuzzDecode(f *testing.F) {
	var in specs.Spec
	fill(reflect.ValueOf(&in).Elem(), rand.New(rand.NewSource(3)), 0)
	data, _ := Encode(nil, &in)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		var out specs.Spec
		if err := Decode(b, &out); err != nil {
			return
		}
		// Whatever decodes re-encodes to the same bytes (maps aside, whose order is free).
		if out.Annotations == nil && (out.Linux == nil || out.Linux.Sysctl == nil) {
			again, err := Encode(nil, &out)
			if err != nil {
				t.Fatal(err)
			}
			var out2 specs.Spec
			if err := Decode(again, &out2); err != nil || !reflect.DeepEqual(&out, &out2) {
				t.Fatalf("re-decode differs: %v", err)
			}
		}
	})
}

func BenchmarkDecodeDefaultSpec(b *testing.B) {
	s := defaultishSpec()
	data, _ := Encode(nil, s)
	b.ReportAllocs()
	for b.Loop() {
		var out specs.Spec
		if err := Decode(data, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func defaultishSpec() *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{Args: []string{"sh"}, Env: []string{"PATH=/usr/bin:/bin", "TERM=xterm"}, Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_CHOWN"}, Effective: []string{"CAP_KILL"}},
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}}},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "minictr",
		Mounts: []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}}},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "pid"}, {Type: "mount"}, {Type: "network"}},
			MaskedPaths: []string{"/proc/kcore", "/proc/keys"}, ReadonlyPaths: []string{"/proc/sys"}},
	}
}
