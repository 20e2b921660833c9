package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	it "github.com/minictr/minictr/image/imagetest"
)

func layer(b []byte) Layer {
	return Layer{DiffID: digest.FromBytes(b), Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

func needOverlay(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if !OverlaySupported() {
		t.Skip("no overlay filesystem")
	}
}

func mountAndCheck(t *testing.T, lowers []string, check func(root string)) {
	t.Helper()
	d := t.TempDir()
	root, upper, work := filepath.Join(d, "r"), filepath.Join(d, "u"), filepath.Join(d, "w")
	for _, p := range []string{root, upper, work} {
		os.Mkdir(p, 0o755)
	}
	if err := MountOverlay(root, lowers, upper, work); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := Unmount(root); err != nil {
			t.Error(err)
		}
	}()
	check(root)
}

// TestManyLayers mounts more layers than fit in one page of mount options (the new mount
// API's lowerdir+ path).
func TestManyLayers(t *testing.T) {
	needOverlay(t)
	s, err := New(filepath.Join(t.TempDir(), "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	var layers []Layer
	for i := 0; i < 48; i++ {
		layers = append(layers, layer(it.Tar(t, it.Entry{Name: fmt.Sprintf("f%02d", i), Body: fmt.Sprint(i)}, it.Entry{Name: "top", Body: fmt.Sprint(i)})))
	}
	paths, err := s.Prepare(context.Background(), layers, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Join(paths, ":")); n < maxMountData {
		t.Fatalf("lowerdir option is only %d bytes: the test does not reach the fsconfig path", n)
	}
	mountAndCheck(t, paths, func(root string) {
		ents, _ := os.ReadDir(root)
		if len(ents) != 49 {
			t.Errorf("merged root has %d entries, want 49", len(ents))
		}
		if b, _ := os.ReadFile(filepath.Join(root, "top")); string(b) != "47" {
			t.Errorf("top = %q, want the last layer's", b)
		}
	})
}

// TestConcurrentPrepare prepares the same image from several goroutines (as several minictr
// processes would): every call succeeds and one copy of each snapshot remains.
func TestConcurrentPrepare(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	s, _ := New(filepath.Join(t.TempDir(), "snapshots"))
	layers := []Layer{
		layer(it.Tar(t, it.Entry{Name: "a/", Type: tar.TypeDir}, it.Entry{Name: "a/x", Body: "x"})),
		layer(it.Tar(t, it.Entry{Name: "a/.wh.x"}, it.Entry{Name: "b", Body: "b"})),
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Prepare(context.Background(), layers, 2); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ents, _ := os.ReadDir(s.Dir)
	if len(ents) != 2 {
		t.Errorf("%d entries in the snapshots dir, want 2", len(ents))
	}
	list, _ := s.List()
	if len(list) != 2 {
		t.Errorf("List = %v", list)
	}
	for _, c := range list {
		if err := s.Remove(c); err != nil {
			t.Fatal(err)
		}
	}
	if ents, _ := os.ReadDir(s.Dir); len(ents) != 0 {
		t.Errorf("%d entries left after Remove", len(ents))
	}
}

// TestHardlinkToLowerLayer: a hardlink whose target is in a layer below becomes a copy.
func TestHardlinkToLowerLayer(t *testing.T) {
	needOverlay(t)
	s, _ := New(filepath.Join(t.TempDir(), "snapshots"))
	layers := []Layer{
		layer(it.Tar(t, it.Entry{Name: "bin/", Type: tar.TypeDir}, it.Entry{Name: "bin/tool", Body: "TOOL", Mode: 0o755, UID: 5})),
		layer(it.Tar(t, it.Entry{Name: "bin/alias", Type: tar.TypeLink, Link: "bin/tool"})),
	}
	paths, err := s.Prepare(context.Background(), layers, 2)
	if err != nil {
		t.Fatal(err)
	}
	mountAndCheck(t, paths, func(root string) {
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join(root, "bin/alias"), &st); err != nil || st.Mode&0o777 != 0o755 || st.Uid != 5 {
			t.Errorf("bin/alias: %v mode %o uid %d", err, st.Mode&0o777, st.Uid)
		}
		if b, _ := os.ReadFile(filepath.Join(root, "bin/alias")); string(b) != "TOOL" {
			t.Errorf("bin/alias = %q", b)
		}
	})
	// A hardlink to nothing anywhere is an error naming the entry.
	bad := []Layer{layers[0], layer(it.Tar(t, it.Entry{Name: "x", Type: tar.TypeLink, Link: "no/such"}))}
	if _, err := s.Prepare(context.Background(), bad, 2); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("dangling hardlink: %v", err)
	}
	if ents, _ := os.ReadDir(s.Dir); len(ents) != 2 {
		t.Errorf("%d entries in the snapshots dir, want 2: the shared bottom, the good top, no temp", len(ents))
	}
}

func TestUnmountNotMounted(t *testing.T) {
	if err := Unmount(t.TempDir()); err != nil {
		t.Errorf("Unmount of a plain dir: %v", err)
	}
	if err := Unmount(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("Unmount of a missing dir: %v", err)
	}
}
