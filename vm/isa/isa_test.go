package isa_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minictr/minictr/vm/compiler"
	"github.com/minictr/minictr/vm/interp"
	"github.com/minictr/minictr/vm/isa"
)

func compiled(t testing.TB) map[string]*isa.Module {
	progs, _ := filepath.Glob("../testdata/progs/*.go")
	bench, _ := filepath.Glob("../testdata/bench/*.go")
	out := map[string]*isa.Module{}
	for _, p := range append(progs, bench...) {
		m, err := compiler.CompileFile(p)
		if err != nil {
			continue // programs that must fail to compile
		}
		out[p] = m
	}
	if len(out) == 0 {
		t.Fatal("no programs compiled")
	}
	return out
}

// TestEncodeDecodeRoundTrip: Encode -> Decode -> Encode is the identity.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	for p, m := range compiled(t) {
		b := m.Encode()
		m2, err := isa.Decode(b)
		if err != nil {
			t.Fatalf("%s: decode: %v", p, err)
		}
		if !bytes.Equal(m2.Encode(), b) {
			t.Fatalf("%s: re-encoded module differs", p)
		}
	}
}

// TestAsmRoundTrip: Assemble(Disasm(m)) encodes to the same bytes as m.
func TestAsmRoundTrip(t *testing.T) {
	for p, m := range compiled(t) {
		text := isa.Disasm(m)
		m2, err := isa.Assemble(text)
		if err != nil {
			t.Fatalf("%s: assemble disassembly: %v", p, err)
		}
		if !bytes.Equal(m2.Encode(), m.Encode()) {
			t.Fatalf("%s: assembled module differs from the original", p)
		}
		if isa.Disasm(m2) != text {
			t.Fatalf("%s: disassembly not stable", p)
		}
	}
}

const handAsm = `
.entry 1
.globals 0
.errortype -1
.const 0 int 1000000
.func 0 "main.count" file="hand.masm" params=1 results=1 regs=4 caps=0 epilogue=-1
  .line 1
  LOADI r1, 0
  LOADI r2, 0
loop:
  ADD r1, r1, r2
  FORLT r2, r0, 1
  JMP loop
  RET r1, 1
.end
.func 1 "main.main" file="hand.masm" params=0 results=0 regs=3 caps=0 epilogue=-1
  .line 2
  LOADK r0, k0
  CALL r0, f0
  RET r0, 0
.end
`

// TestAssembleAndRun: a hand-written program with labels assembles, verifies and runs.
func TestAssembleAndRun(t *testing.T) {
	m, err := isa.Assemble(handAsm)
	if err != nil {
		t.Fatal(err)
	}
	mach, err := interp.New(m, interp.Options{Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := mach.Run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(isa.Disasm(m), "FORLT     r2, r0, 1") {
		t.Fatalf("disassembly lacks the loop:\n%s", isa.Disasm(m))
	}
}

// TestVerifierRejects: malformed modules are rejected with the function and pc named.
func TestVerifierRejects(t *testing.T) {
	base := func(code ...uint32) *isa.Module {
		return &isa.Module{ErrorType: -1, Consts: []isa.Const{isa.StringConst("s"), isa.IntConst(7)},
			Funcs: []isa.Func{{Name: "main.main", NRegs: 4, Epilogue: -1, Code: code, Lines: make([]int32, len(code))}}}
	}
	ret := isa.ABC(isa.RET, 0, 0, 0)
	cases := []struct {
		name string
		m    *isa.Module
		want string
	}{
		{"register out of frame", base(isa.ABC(isa.ADD, 9, 0, 0), ret), "pc 0: register A=9 out of frame"},
		{"constant out of range", base(isa.ABx(isa.LOADK, 0, 5), ret), "pc 0: constant 5 out of range"},
		{"constant of wrong kind", base(isa.ABx(isa.LOADK, 0, 0), ret), "pc 0: LOADK of a constant of the wrong kind"},
		{"jump out of code", base(isa.AsBx(isa.JMP, 0, 40), ret), "pc 0: jump target 41 invalid"},
		{"falls off the end", base(isa.ABC(isa.NOP, 0, 0, 0)), "may run past its end"},
		{"conditional without jump", base(isa.ABC(isa.IFT, 0, 0, 0), ret, ret), "pc 0: IFT must be followed by JMP"},
		{"unknown opcode", base(0xfe, ret), "pc 0: unknown opcode 254"},
		{"call of missing function", base(isa.ABx(isa.CALL, 0, 3), ret), "pc 0: function 3 out of range"},
		{"wrong result count", base(isa.ABC(isa.RET, 0, 1, 0)), "RET of 1 values in a function with 0 results"},
		{"extra outside instruction", base(isa.Ax(isa.EXTRA, 0), ret), "pc 0: EXTRA outside its instruction"},
		{"nonzero unused field", base(isa.ABC(isa.NOT, 0, 1, 3), ret), "unused field C must be 0"},
	}
	for _, c := range cases {
		err := isa.Verify(c.m)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "main.main") {
			t.Errorf("%s: error %q, want it to contain %q and the function name", c.name, err, c.want)
		}
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), []byte(isa.Magic), append([]byte(isa.Magic), 0x7f, 0xff, 0xff)} {
		if _, err := isa.Decode(in); err == nil {
			t.Errorf("Decode(%q) accepted", in)
		}
	}
}

func seeds(f *testing.F) []*isa.Module {
	var out []*isa.Module
	for _, m := range compiled(f) {
		out = append(out, m)
		if len(out) == 6 {
			break
		}
	}
	return out
}

// FuzzLoad: Decode never panics; whatever it accepts re-encodes identically.
func FuzzLoad(f *testing.F) {
	for _, m := range seeds(f) {
		f.Add(m.Encode())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := isa.Decode(data)
		if err != nil {
			return
		}
		if _, err := isa.Decode(m.Encode()); err != nil {
			t.Fatalf("accepted module does not re-decode: %v", err)
		}
	})
}

// FuzzAssemble: Assemble never panics, and accepted text round-trips through Disasm.
func FuzzAssemble(f *testing.F) {
	f.Add(handAsm)
	for _, m := range seeds(f) {
		f.Add(isa.Disasm(m))
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := isa.Assemble(text)
		if err != nil {
			return
		}
		m2, err := isa.Assemble(isa.Disasm(m))
		if err != nil {
			t.Fatalf("disassembly of an accepted module does not assemble: %v", err)
		}
		if !bytes.Equal(m.Encode(), m2.Encode()) {
			t.Fatal("round trip changed the module")
		}
	})
}

// FuzzVerify: random code in a valid module either fails verification or runs (bounded by
// fuel and memory) without panicking the host.
func FuzzVerify(f *testing.F) {
	m0, err := compiler.Compile("seed.go", []byte(`package main
type T struct{ A int; S string; P *T }
func main() {
	t := &T{A: 1}
	s := []int{1, 2}
	m := map[string]int{"a": 1}
	ch := make(chan int, 1)
	ch <- len(s) + m["a"] + t.A
	<-ch
}`))
	if err != nil {
		f.Fatal(err)
	}
	main := -1
	for i, fn := range m0.Funcs {
		if fn.Name == "main.main" {
			main = i
		}
	}
	code := m0.Funcs[main].Code
	seed := make([]byte, 4*len(code))
	for i, w := range code {
		seed[4*i], seed[4*i+1], seed[4*i+2], seed[4*i+3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		m, err := isa.Decode(m0.Encode())
		if err != nil {
			t.Fatal(err)
		}
		fn := &m.Funcs[main]
		fn.Code = make([]uint32, len(data)/4)
		for i := range fn.Code {
			fn.Code[i] = uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24
		}
		fn.Lines = make([]int32, len(fn.Code))
		if isa.Verify(m) != nil {
			return
		}
		mach, err := interp.New(m, interp.Options{Stdout: io.Discard, Stderr: io.Discard, Fuel: 20000, MaxMemory: 64 << 20, MaxDepth: 1000})
		if err != nil {
			return
		}
		_ = mach.Run() // any error is fine; a host panic fails the fuzzer
	})
}

// TestDocHasOpTable keeps the ISA table of docs/vm.md in sync with the opcode table.
func TestDocHasOpTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/vm.md")
	if err != nil {
		t.Skipf("docs/vm.md not readable: %v", err)
	}
	if !strings.Contains(string(doc), isa.OpTable()) {
		t.Fatal("docs/vm.md does not contain the current opcode table (paste isa.OpTable())")
	}
}
