package vmm

import (
	"bytes"
	"testing"
)

func TestWatchWriterStopsAtEndOfLine(t *testing.T) {
	var out bytes.Buffer
	w := &watchWriter{w: &out, stop: []byte("Linux version")}
	for _, c := range []byte("boot\n[0] Linux ver") {
		w.Write([]byte{c})
	}
	if w.hit.Load() {
		t.Fatal("hit before the stop string was complete")
	}
	for _, c := range []byte("sion 6.1 (gcc)") {
		w.Write([]byte{c})
	}
	if w.hit.Load() {
		t.Fatal("hit before the end of the line")
	}
	w.Write([]byte("\n"))
	if !w.hit.Load() {
		t.Fatal("no hit at the end of the line")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"256M": 256 << 20, "1G": 1 << 30, "4096": 4096, "64k": 64 << 10, "2GB": 2 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1M", "12X", "99999999999999G"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
