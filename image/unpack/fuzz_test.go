package unpack

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzApply feeds arbitrary bytes to the extractor, in both whiteout modes: it must never
// panic, and nothing may appear, change or vanish outside the target directory.
func FuzzApply(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("needs root")
	}
	seeds := [][]entry{
		{{name: "a/", typ: tar.TypeDir}, {name: "a/b", body: "x"}, {name: "a/l", typ: tar.TypeSymlink, link: "../../x"}},
		{{name: "l", typ: tar.TypeSymlink, link: "/"}, {name: "l/x", body: "x"}, {name: "h", typ: tar.TypeLink, link: "l/x"}},
		{{name: ".wh.a"}, {name: "a/.wh..wh..opq"}, {name: "a/", typ: tar.TypeDir}, {name: "d", typ: tar.TypeChar}},
		{{name: "../x", body: "x"}, {name: "/abs", body: "y"}},
	}
	for _, s := range seeds {
		f.Add(mkTar(f, s...))
	}
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		parent, err := os.MkdirTemp(base, "f")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(parent)
		outside := filepath.Join(parent, "outside")
		os.Mkdir(outside, 0o755)
		os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600)
		for i, mode := range []WhiteoutMode{ApplyWhiteouts, OverlayWhiteouts} {
			target := filepath.Join(parent, "root"+string(rune('0'+i)))
			os.Mkdir(target, 0o755)
			Apply(context.Background(), target, bytes.NewReader(data), Options{Whiteouts: mode})
			// The target may have become anything inside; make sure we can clean it up.
			os.Chmod(target, 0o755)
		}
		ents, _ := os.ReadDir(parent)
		if len(ents) != 3 {
			names := []string{}
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Fatalf("parent holds %v", names)
		}
		ents, _ = os.ReadDir(outside)
		if b, _ := os.ReadFile(filepath.Join(outside, "secret")); len(ents) != 1 || !bytes.Equal(b, []byte("s")) {
			t.Fatalf("outside changed: %d entries, secret %q", len(ents), b)
		}
	})
}
