package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/image/archive"
	it "github.com/minictr/minictr/image/imagetest"
	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/rootfs/snapshot"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown, mknod, overlay)")
	}
}

// featureLayers is a busybox base and two layers that delete files, replace a directory,
// make directories opaque (the marker before and after the directory's own entry), and add
// hardlinks and symlinks.
func featureLayers(t testing.TB) [][]byte {
	base := t.TempDir()
	it.Busybox(t, base)
	l1 := it.TarDir(t, base)
	l1b := it.Tar(t,
		it.Entry{Name: "data/", Type: tar.TypeDir},
		it.Entry{Name: "data/old/", Type: tar.TypeDir},
		it.Entry{Name: "data/old/a", Body: "a"}, it.Entry{Name: "data/old/b", Body: "b"},
		it.Entry{Name: "opq/", Type: tar.TypeDir}, it.Entry{Name: "opq/x", Body: "x"},
		it.Entry{Name: "opq/sub/", Type: tar.TypeDir}, it.Entry{Name: "opq/sub/y", Body: "y"},
		it.Entry{Name: "late/", Type: tar.TypeDir}, it.Entry{Name: "late/old", Body: "old"},
		it.Entry{Name: "gone/", Type: tar.TypeDir}, it.Entry{Name: "gone/file", Body: "g"},
		it.Entry{Name: "gonefile", Body: "gf"},
		it.Entry{Name: "hl/", Type: tar.TypeDir}, it.Entry{Name: "hl/a", Body: "hard", Mode: 0o4755, UID: 1000, GID: 2000},
		it.Entry{Name: "hl/b", Type: tar.TypeLink, Link: "hl/a"},
		it.Entry{Name: "lnk", Type: tar.TypeSymlink, Link: "bin/busybox"},
		it.Entry{Name: "dev/null", Type: tar.TypeChar, Mode: 0o666, Major: 1, Minor: 3},
	)
	l2 := it.Tar(t,
		it.Entry{Name: ".wh.gonefile"}, it.Entry{Name: ".wh.gone"},
		it.Entry{Name: "data/.wh.old"}, it.Entry{Name: "data/old/", Type: tar.TypeDir, Mode: 0o750},
		it.Entry{Name: "data/old/new", Body: "new"},
		it.Entry{Name: "opq/z", Body: "z"}, it.Entry{Name: "opq/.wh..wh..opq"},
		it.Entry{Name: "late/.wh..wh..opq"}, it.Entry{Name: "late/", Type: tar.TypeDir, Mode: 0o700}, it.Entry{Name: "late/new", Body: "n"},
		it.Entry{Name: "hl2/x", Body: "x2", UID: 7}, it.Entry{Name: "hl2/y", Type: tar.TypeLink, Link: "hl2/x"},
		it.Entry{Name: "lnk", Body: "now a file"},
		it.Entry{Name: "bin/sh2", Type: tar.TypeSymlink, Link: "/bin/busybox"},
		it.Entry{Name: "tmp/implicit/f", Body: "parent dirs not in this layer"},
	)
	return [][]byte{l1, l1b, l2}
}

var testConfig = ocispec.ImageConfig{
	Cmd: []string{"sh", "-c", "echo hi"}, Env: []string{"FOO=bar", "PATH=/bin"}, WorkingDir: "/tmp",
	ExposedPorts: map[string]struct{}{"80/tcp": {}}, Volumes: map[string]struct{}{"/data": {}},
}

func loadFeatureImage(t *testing.T) (*store.Store, string) { return loadFeatureImageB(t) }

func needRootB(b testing.TB) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
}

func loadFeatureImageB(t testing.TB) (*store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	it.Layout(t, layout, "feat:v1", testConfig, featureLayers(t)...)
	s, err := store.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := archive.Load(context.Background(), s, layout, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || loaded[0].Name != "feat:v1" {
		t.Fatalf("loaded %+v", loaded)
	}
	return s, layout
}

// expectFeatures checks the merged view of the feature image.
func expectFeatures(t *testing.T, root string) {
	t.Helper()
	for p, want := range map[string]bool{
		"gonefile": false, "gone": false, "data/old/a": false, "data/old/new": true, "opq/x": false, "opq/sub": false,
		"opq/z": true, "late/old": false, "late/new": true, "hl2/y": true, "bin/sh2": true, "tmp/implicit/f": true, "bin/busybox": true,
	} {
		_, err := os.Lstat(filepath.Join(root, p))
		if (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", p, err == nil, want)
		}
	}
	var st unix.Stat_t
	unix.Lstat(filepath.Join(root, "late"), &st)
	if st.Mode&0o7777 != 0o700 {
		t.Errorf("late: mode %o, want 700", st.Mode&0o7777)
	}
	unix.Lstat(filepath.Join(root, "tmp"), &st)
	if st.Mode&0o7777 != 0o1777 {
		t.Errorf("tmp: mode %o, want 1777 (kept from the layer below)", st.Mode&0o7777)
	}
	unix.Lstat(filepath.Join(root, "hl/a"), &st)
	if st.Mode&0o7777 != 0o4755 || st.Uid != 1000 || st.Gid != 2000 || st.Nlink != 2 {
		t.Errorf("hl/a: mode %o owner %d:%d nlink %d", st.Mode&0o7777, st.Uid, st.Gid, st.Nlink)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "lnk")); string(b) != "now a file" {
		t.Errorf("lnk = %q", b)
	}
}

func TestPrepareBundleOverlay(t *testing.T) {
	needRoot(t)
	if !snapshot.OverlaySupported() {
		t.Skip("no overlay filesystem")
	}
	s, layout := loadFeatureImage(t)
	ctx := context.Background()
	opts := RunOptions{Args: []string{"id"}, Env: []string{"X=1"}, User: "app", Memory: 64 << 20, PidsLimit: 50, CPUs: 0.5, TTY: true}
	b, cleanup, err := PrepareBundle(ctx, s, "feat:v1", "c1", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if b.Mode != ModeOverlay {
		t.Fatalf("mode %s, want overlay", b.Mode)
	}
	expectFeatures(t, b.Rootfs)
	got := it.Describe(t, b.Rootfs)
	// The same image unpacked flat by our own code and, when present, by umoci.
	flat := t.TempDir()
	img, _ := Resolve(s, "feat:v1", ocispec.Platform{})
	if err := snapshot.ApplyFlat(ctx, flat, img.Layers(s)); err != nil {
		t.Fatal(err)
	}
	if d := it.Diff(it.Describe(t, flat), got); len(d) > 0 {
		t.Errorf("flat unpack and overlay differ:\n%s", strings.Join(d, "\n"))
	}
	if _, err := os.Stat("/usr/bin/umoci"); err == nil {
		ub := filepath.Join(t.TempDir(), "b")
		it.Run(t, "umoci", "unpack", "--image", layout+":feat:v1", ub)
		if d := it.Diff(it.Describe(t, filepath.Join(ub, "rootfs")), got); len(d) > 0 {
			t.Errorf("umoci unpack and minictr's overlay differ:\n%s", strings.Join(d, "\n"))
		}
	}
	// config.json.
	var sp specs.Spec
	cb, err := os.ReadFile(filepath.Join(b.Dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cb, &sp); err != nil {
		t.Fatal(err)
	}
	if strings.Join(sp.Process.Args, " ") != "id" || sp.Process.Cwd != "/tmp" || sp.Process.User.UID != 1000 || sp.Process.User.GID != 1000 ||
		!sp.Process.Terminal || sp.Root.Path != b.Rootfs || sp.Root.Readonly || sp.Hostname != "c1" {
		t.Errorf("spec process %+v root %+v hostname %q", sp.Process, sp.Root, sp.Hostname)
	}
	if *sp.Linux.Resources.Memory.Limit != 64<<20 || *sp.Linux.Resources.Pids.Limit != 50 || *sp.Linux.Resources.CPU.Quota != 50000 {
		t.Errorf("resources %+v", sp.Linux.Resources)
	}
	env := strings.Join(sp.Process.Env, " ")
	for _, want := range []string{"FOO=bar", "PATH=/bin", "X=1", "HOME=/home/app", "TERM=xterm"} {
		if !strings.Contains(env, want) {
			t.Errorf("env %q lacks %s", env, want)
		}
	}
	if sp.Annotations[AnnotationExposedPorts] != "80/tcp" || sp.Annotations[AnnotationVolumes] != "/data" {
		t.Errorf("annotations %v", sp.Annotations)
	}
	// A second container shares the snapshots: nothing new is unpacked.
	before, _ := os.ReadDir(s.SnapshotsDir())
	b2, cleanup2, err := PrepareBundle(ctx, s, "feat:v1", "c2", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadDir(s.SnapshotsDir())
	if len(before) != len(after) || len(after) != 3 {
		t.Errorf("snapshots: %d before, %d after the second container (want 3, 3)", len(before), len(after))
	}
	// A write in one container is not seen by the other, nor in the snapshots.
	os.WriteFile(filepath.Join(b.Rootfs, "bin/busybox"), []byte("changed"), 0o755)
	if st, _ := os.Stat(filepath.Join(b2.Rootfs, "bin/busybox")); st.Size() < 1000 {
		t.Error("a write in container c1 shows in c2")
	}
	// The image cannot be collected while containers use it: rmi untags, GC keeps snapshots.
	if _, err := Remove(s, "feat:v1", false); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadDir(s.SnapshotsDir()); len(after) != 3 {
		t.Errorf("GC removed snapshots in use: %d left", len(after))
	}
	// Cleanup: idempotent, leaves no mount.
	for i := 0; i < 2; i++ {
		if err := cleanup(); err != nil {
			t.Fatalf("cleanup %d: %v", i, err)
		}
		if err := cleanup2(); err != nil {
			t.Fatalf("cleanup2 %d: %v", i, err)
		}
	}
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Errorf("bundle %s still there: %v", b.Dir, err)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), s.Root) {
		t.Errorf("a mount under the store is left:\n%s", mounts)
	}
	gs, err := GC(s)
	if err != nil {
		t.Fatal(err)
	}
	blobs, _ := s.Blobs()
	snaps, _ := os.ReadDir(s.SnapshotsDir())
	if len(blobs) != 0 || len(snaps) != 0 || gs.Snapshots != 3 {
		t.Errorf("after rmi and GC: %d blobs, %d snapshots left (GC said %+v)", len(blobs), len(snaps), gs)
	}
}

func TestPrepareBundleCopyFallback(t *testing.T) {
	needRoot(t)
	s, _ := loadFeatureImage(t)
	t.Setenv("MINICTR_NO_OVERLAY", "1")
	b, cleanup, err := PrepareBundle(context.Background(), s, "feat:v1", "c1", RunOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if b.Mode != ModeCopy {
		t.Fatalf("mode %s", b.Mode)
	}
	expectFeatures(t, b.Rootfs)
	if _, _, err := PrepareBundle(context.Background(), s, "feat:v1", "c1", RunOptions{}); err == nil {
		t.Error("a second bundle with the same id was made")
	}
	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareBundleErrors(t *testing.T) {
	needRoot(t)
	s, _ := loadFeatureImage(t)
	ctx := context.Background()
	for _, c := range []struct {
		ref, id string
		opts    RunOptions
	}{
		{"nosuch:v1", "c1", RunOptions{}},
		{"feat:v1", "../evil", RunOptions{}},
		{"feat:v1", "c2", RunOptions{User: "nobody"}},
		{"feat:v1", "c3", RunOptions{Workdir: "relative"}},
		{"feat:v1", "c4", RunOptions{Mounts: []string{"/nonexistent-host-dir:/mnt"}}},
	} {
		if _, _, err := PrepareBundle(ctx, s, c.ref, c.id, c.opts); err == nil {
			t.Errorf("PrepareBundle(%s, %s, %+v): no error", c.ref, c.id, c.opts)
		}
	}
	if ents, _ := os.ReadDir(s.ContainersDir()); len(ents) != 0 {
		t.Errorf("failed preparations left %d container dirs", len(ents))
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), s.Root) {
		t.Error("a failed preparation left a mount")
	}
}

func TestValidID(t *testing.T) {
	long := strings.Repeat("a", 128)
	for _, ok := range []string{"a", "A9", "web-1.blue_x", long} {
		if !validID(ok) {
			t.Errorf("validID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "-a", ".a", "_a", "a/b", "a b", "a+b", "é", long + "a", "../x"} {
		if validID(bad) {
			t.Errorf("validID(%q) = true", bad)
		}
	}
}
