package seccomp

import "testing"

func filler(a *asm, n int) {
	for i := 0; i < n; i++ {
		a.ret(100000 + uint32(i))
	}
}

// Conditional jumps beyond 255 instructions get ja trampolines, on the true
// branch, the false branch or both.
func TestTrampolines(t *testing.T) {
	for _, c := range []struct {
		name string
		emit func(a *asm, far, far2 label)
		want map[uint32]uint32 // nr -> ret
	}{
		{"true branch", func(a *asm, far, _ label) { a.jmp(opJeq, 1, far, next); a.ret(7) }, map[uint32]uint32{1: 1, 0: 7}},
		{"false branch", func(a *asm, far, _ label) { a.jmp(opJeq, 1, next, far); a.ret(7) }, map[uint32]uint32{1: 7, 0: 1}},
		{"both", func(a *asm, far, far2 label) { a.jmp(opJgt, 5, far, far2) }, map[uint32]uint32{6: 1, 5: 2, 0: 2}},
	} {
		var a asm
		far, far2 := a.newLabel(), a.newLabel()
		a.ld(offNr)
		c.emit(&a, far, far2)
		filler(&a, 600)
		a.place(far)
		a.ret(1)
		filler(&a, 300)
		a.place(far2)
		a.ret(2)
		prog, err := a.link()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for nr, want := range c.want {
			if got := eval(t, prog, input{nr: nr}); got != want {
				t.Errorf("%s: nr %d -> %d, want %d", c.name, nr, got, want)
			}
		}
	}
}

// Many far jumps whose trampolines push each other further: link must
// iterate until every offset fits.
func TestTrampolinesFixpoint(t *testing.T) {
	var a asm
	targets := []label{a.newLabel(), a.newLabel(), a.newLabel()}
	a.ld(offNr)
	for i := 0; i < 300; i++ {
		a.jmp(opJeq, uint32(i), targets[i%3], next)
	}
	a.ret(999)
	for i, l := range targets {
		filler(&a, 100)
		a.place(l)
		a.ret(uint32(i))
	}
	prog, err := a.link()
	if err != nil {
		t.Fatal(err)
	}
	ja := 0
	for _, in := range prog {
		if in.Code == opJa {
			ja++
		}
	}
	if ja == 0 {
		t.Fatal("no trampolines")
	}
	for nr := uint32(0); nr < 300; nr++ {
		if got := eval(t, prog, input{nr: nr}); got != nr%3 {
			t.Fatalf("nr %d -> %d, want %d", nr, got, nr%3)
		}
	}
	if got := eval(t, prog, input{nr: 500}); got != 999 {
		t.Fatalf("miss -> %d", got)
	}
	t.Logf("%d instructions, %d trampolines", len(prog), ja)
}

func TestLinkErrors(t *testing.T) {
	var a asm
	l := a.newLabel()
	a.jmp(opJeq, 1, l, next) // never placed
	a.ret(0)
	if _, err := a.link(); err == nil {
		t.Error("unplaced label accepted")
	}
	var b asm
	l = b.newLabel()
	b.place(l)
	b.ret(0)
	b.ja(l) // backward
	b.ret(0)
	if _, err := b.link(); err == nil {
		t.Error("backward jump accepted")
	}
	var c asm
	filler(&c, maxInsns+1)
	if _, err := c.link(); err == nil {
		t.Error("program over the limit accepted")
	}
}
