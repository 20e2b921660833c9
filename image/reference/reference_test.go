package reference

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct {
		in                string
		host, path, tag   string
		digest, canonical string
	}{
		{in: "busybox", path: "busybox", tag: "latest", canonical: "busybox:latest"},
		{in: "busybox:1.36", path: "busybox", tag: "1.36", canonical: "busybox:1.36"},
		{in: "127.0.0.1:5000/busybox", host: "127.0.0.1:5000", path: "busybox", tag: "latest", canonical: "127.0.0.1:5000/busybox:latest"},
		{in: "localhost/a/b:v1", host: "localhost", path: "a/b", tag: "v1", canonical: "localhost/a/b:v1"},
		{in: "example.test/x@" + dg, host: "example.test", path: "x", digest: dg, canonical: "example.test/x@" + dg},
		{in: "x:t@" + dg, path: "x", tag: "t", digest: dg, canonical: "x:t@" + dg},
		{in: "my-org/my_app.v2", path: "my-org/my_app.v2", tag: "latest", canonical: "my-org/my_app.v2:latest"},
	}
	for _, c := range cases {
		r, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if r.Host != c.host || r.Path != c.path || r.Tag != c.tag || string(r.Digest) != c.digest || r.String() != c.canonical {
			t.Errorf("Parse(%q) = %+v (%s), want host %q path %q tag %q digest %q (%s)", c.in, r, r, c.host, c.path, c.tag, c.digest, c.canonical)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, in := range []string{"", "UPPER", "a//b", "a/../b", "x:bad tag", "x@sha256:short", "-x", "host:/x", "a/b:", ":tag", "a..b"} {
		if r, err := Parse(in); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %+v, %v; want an ErrInvalid error", in, r, err)
		}
	}
}

func TestWithDefaultHost(t *testing.T) {
	r, _ := Parse("busybox")
	t.Setenv(RegistryEnv, "")
	if _, err := r.WithDefaultHost(); err == nil {
		t.Fatal("no host and no $MINICTR_REGISTRY: want an error")
	}
	t.Setenv(RegistryEnv, "127.0.0.1:5000")
	r2, err := r.WithDefaultHost()
	if err != nil || r2.String() != "127.0.0.1:5000/busybox:latest" {
		t.Fatalf("WithDefaultHost = %v, %v", r2, err)
	}
}
