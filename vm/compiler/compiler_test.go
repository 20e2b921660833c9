package compiler

import (
	"strings"
	"testing"
)

// TestUnsupportedConstructs: constructs outside the subset are compile errors that name the
// construct and its file:line:col, never silently miscompiled.
func TestUnsupportedConstructs(t *testing.T) {
	// main's body starts on line 6 of the generated file, after a tab
	cases := []struct{ body, want string }{
		{"x := 1\n\tp := &x\n\t_ = p", "p.go:7:8: unsupported: pointer to non-struct type int"},
		{"f := 1.0\n\tc := complex(f, f)\n\t_ = c", "p.go:7:7: unsupported: builtin complex"},
		{"i := 0\nL:\n\ti++\n\tif i < 2 {\n\t\tgoto L\n\t}", "p.go:7:1: unsupported: label on a statement"},
		{"m := map[[2]int]bool{}\n\t_ = m", "p.go:6:7: unsupported: map key type [2]int"},
		{"f := T.M\n\t_ = f", "p.go:6:7: unsupported: method expression M"},
		{"var x any = 1\n\t_ = x\n\tundefinedName()", "p.go:8:2: undefined: undefinedName"},
	}
	for _, c := range cases {
		src := "package main\n\ntype T struct{}\nfunc (T) M() {}\nfunc main() {\n\t" + c.body + "\n}\n"
		_, err := Compile("p.go", []byte(src))
		if err == nil {
			t.Errorf("%q: compiled", c.body)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q, want %q", c.body, err, c.want)
		}
	}
}

func TestCompileProducesVerifiedModule(t *testing.T) {
	m, err := Compile("ok.go", []byte("package main\nimport \"fmt\"\nfunc main() { fmt.Println(1) }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Entry < 0 || len(m.Funcs) < 2 || len(m.Hosts) == 0 {
		t.Fatalf("unexpected module: entry %d, %d funcs, %d hosts", m.Entry, len(m.Funcs), len(m.Hosts))
	}
}
