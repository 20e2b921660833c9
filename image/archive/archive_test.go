package archive

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/minictr/minictr/image"
	it "github.com/minictr/minictr/image/imagetest"
	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/rootfs/snapshot"
)

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// umociImage builds a three-layer image with umoci (an independent producer): a busybox
// base, then deletions, a replaced directory, a directory emptied and refilled, hardlinks and
// symlinks.
func umociImage(t *testing.T, dir string) string {
	it.Need(t, "umoci")
	layout := filepath.Join(dir, "layout")
	it.Run(t, "umoci", "init", "--layout", layout)
	it.Run(t, "umoci", "new", "--image", layout+":t")
	b := filepath.Join(dir, "bundle")
	it.Run(t, "umoci", "unpack", "--image", layout+":t", b)
	r := filepath.Join(b, "rootfs")
	it.Busybox(t, r)
	for _, d := range []string{"srv/old", "srv/empty", "var/gone"} {
		os.MkdirAll(filepath.Join(r, d), 0o755)
	}
	os.WriteFile(filepath.Join(r, "srv/old/a"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(r, "srv/empty/x"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(r, "var/gone/f"), []byte("f"), 0o644)
	os.WriteFile(filepath.Join(r, "etc/motd"), []byte("motd"), 0o600)
	os.WriteFile(filepath.Join(r, "bin/suid"), []byte("s"), 0o755)
	os.Chmod(filepath.Join(r, "bin/suid"), 0o755|os.ModeSetuid)
	os.Chown(filepath.Join(r, "etc/motd"), 1000, 1000)
	it.Run(t, "umoci", "repack", "--refresh-bundle", "--image", layout+":t", b)

	os.Remove(filepath.Join(r, "etc/motd"))
	os.RemoveAll(filepath.Join(r, "var/gone"))
	os.RemoveAll(filepath.Join(r, "srv/old"))
	os.MkdirAll(filepath.Join(r, "srv/old"), 0o700)
	os.WriteFile(filepath.Join(r, "srv/old/b"), []byte("b"), 0o644)
	os.Remove(filepath.Join(r, "srv/empty/x"))
	os.WriteFile(filepath.Join(r, "data"), []byte("hard"), 0o644)
	os.Link(filepath.Join(r, "data"), filepath.Join(r, "data2"))
	os.Symlink("../srv/old/b", filepath.Join(r, "etc/blink"))
	os.Symlink("/nonexistent", filepath.Join(r, "dangling"))
	it.Run(t, "umoci", "repack", "--refresh-bundle", "--image", layout+":t", b)

	os.WriteFile(filepath.Join(r, "srv/empty/y"), []byte("y"), 0o644)
	os.Remove(filepath.Join(r, "bin/ls"))
	it.Run(t, "umoci", "repack", "--refresh-bundle", "--image", layout+":t", b)
	it.Run(t, "umoci", "config", "--image", layout+":t", "--config.cmd", "sh", "--config.user", "app")
	return layout
}

func umociRootfs(t *testing.T, layout, tag string) []string {
	ub := filepath.Join(t.TempDir(), "u")
	it.Run(t, "umoci", "unpack", "--image", layout+":"+tag, ub)
	return it.Describe(t, filepath.Join(ub, "rootfs"))
}

// checkAgainst unpacks name flat and as an overlay bundle and compares both with want.
func checkAgainst(t *testing.T, s *store.Store, name string, want []string) {
	t.Helper()
	ctx := context.Background()
	img, err := image.Resolve(s, name, ocispec.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	flat := t.TempDir()
	if err := snapshot.ApplyFlat(ctx, flat, img.Layers(s)); err != nil {
		t.Fatal(err)
	}
	if d := it.Diff(want, it.Describe(t, flat)); len(d) > 0 {
		t.Errorf("%s: flat unpack differs from umoci's:\n%s", name, strings.Join(d, "\n"))
	}
	if !snapshot.OverlaySupported() {
		return
	}
	b, cleanup, err := image.PrepareBundle(ctx, s, name, "cmp", image.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if d := it.Diff(want, it.Describe(t, b.Rootfs)); len(d) > 0 {
		t.Errorf("%s: overlay (%s) differs from umoci's:\n%s", name, b.Mode, strings.Join(d, "\n"))
	}
	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadUmociLayout(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	layout := umociImage(t, dir)
	want := umociRootfs(t, layout, "t")
	s, err := store.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(context.Background(), s, layout+":t", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || loaded[0].Name != "layout:t" {
		t.Fatalf("loaded %+v", loaded)
	}
	img, err := image.Resolve(s, "layout:t", ocispec.Platform{})
	if err != nil || len(img.Manifest.Layers) != 3 {
		t.Fatalf("umoci image: %v layers, %v (want 3)", len(img.Manifest.Layers), err)
	}
	checkAgainst(t, s, "layout:t", want)
	// The store is itself a layout umoci reads.
	if got := umociRootfs(t, s.Root, "layout:t"); len(it.Diff(want, got)) > 0 {
		t.Errorf("umoci unpack of the store differs:\n%s", strings.Join(it.Diff(want, got), "\n"))
	}
}

func TestLoadSkopeoArchives(t *testing.T) {
	needRoot(t)
	it.Need(t, "skopeo")
	dir := t.TempDir()
	layout := umociImage(t, dir)
	want := umociRootfs(t, layout, "t")
	s, err := store.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	da := filepath.Join(dir, "da.tar")
	it.Run(t, "skopeo", "copy", "oci:"+layout+":t", "docker-archive:"+da+":test/da:v1")
	loaded, err := Load(ctx, s, da, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// skopeo writes the name with its default registry host in front: keep it as written.
	if len(loaded) != 1 || !strings.HasSuffix(loaded[0].Name, "test/da:v1") {
		t.Fatalf("docker-archive loaded %+v", loaded)
	}
	checkAgainst(t, s, loaded[0].Name, want)

	oa := filepath.Join(dir, "oa.tar")
	it.Run(t, "skopeo", "copy", "oci:"+layout+":t", "oci-archive:"+oa+":test/oa:v2")
	if loaded, err = Load(ctx, s, oa, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || loaded[0].Name != "test/oa:v2" {
		t.Fatalf("oci-archive loaded %+v", loaded)
	}
	checkAgainst(t, s, "test/oa:v2", want)
	// skopeo reads the store back.
	it.Run(t, "skopeo", "inspect", "oci:"+s.Root+":test/oa:v2")
	if ents, _ := os.ReadDir(s.IngestDir()); len(ents) != 0 {
		t.Errorf("load left %d entries in ingest/", len(ents))
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	junk := filepath.Join(dir, "junk.tar")
	os.WriteFile(junk, it.Tar(t, it.Entry{Name: "hello", Body: "x"}), 0o644)
	if _, err := Load(ctx, s, junk, Options{}); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("junk tar: %v", err)
	}
	// A layout whose blob does not match its digest.
	layout := filepath.Join(dir, "bad")
	md := it.Layout(t, layout, "x", ocispec.ImageConfig{Cmd: []string{"sh"}}, it.Tar(t, it.Entry{Name: "f", Body: "f"}))
	b, _ := os.ReadFile(filepath.Join(layout, "blobs/sha256", md.Digest.Encoded()))
	os.WriteFile(filepath.Join(layout, "blobs/sha256", md.Digest.Encoded()), append(b, ' '), 0o644)
	if _, err := Load(ctx, s, layout, Options{}); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("corrupt layout: %v", err)
	}
	if _, err := Load(ctx, s, filepath.Join(dir, "nonexistent"), Options{}); err == nil {
		t.Error("missing path accepted")
	}
}

// dockerArchive writes a docker-archive tar with one image of one layer; extra entries go in
// as given (symlinks to test).
func dockerArchive(t *testing.T, path string, cfgEntry, layerEntry it.Entry, layerName string) {
	manifest := `[{"Config":"c.json","RepoTags":["test/x:v1"],"Layers":["` + layerName + `"]}]`
	os.WriteFile(path, it.Tar(t, it.Entry{Name: "manifest.json", Body: manifest}, cfgEntry, layerEntry), 0o644)
}

func TestDockerArchiveSymlinks(t *testing.T) {
	dir := t.TempDir()
	s, _ := store.Open(filepath.Join(dir, "store"))
	ctx := context.Background()
	layerTar := it.Tar(t, it.Entry{Name: "f", Body: "f"})
	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + digestOf(layerTar) + `"]},"config":{"Cmd":["sh"]}}`
	outside := filepath.Join(dir, "host-secret.json")
	os.WriteFile(outside, []byte(cfg), 0o600)
	outsideLayer := filepath.Join(dir, "host-layer")
	os.WriteFile(outsideLayer, layerTar, 0o600)

	// Config and layer as symlinks to host files: not read, not moved.
	bad := filepath.Join(dir, "bad.tar")
	dockerArchive(t, bad, it.Entry{Name: "c.json", Type: '2', Link: outside}, it.Entry{Name: "l.tar", Type: '2', Link: outsideLayer}, "l.tar")
	if _, err := Load(ctx, s, bad, Options{}); err == nil {
		t.Error("docker-archive with symlinks to host files loaded")
	}
	for _, p := range []string{outside, outsideLayer} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("host file %s: %v", p, err)
		}
	}
	if n, _ := s.Blobs(); len(n) != 0 {
		t.Errorf("%d blobs stored from a rejected archive", len(n))
	}
	// A symlink inside the archive (docker save links duplicate layers): followed inside.
	good := filepath.Join(dir, "good.tar")
	dockerArchive(t, good, it.Entry{Name: "c.json", Body: cfg}, it.Entry{Name: "real/layer.tar", Body: string(layerTar)}, "dup/layer.tar")
	b, _ := os.ReadFile(good)
	os.WriteFile(good, append(b[:len(b)-1024], it.Tar(t, it.Entry{Name: "dup/layer.tar", Type: '2', Link: "../real/layer.tar"})...), 0o644)
	if loaded, err := Load(ctx, s, good, Options{}); err != nil || len(loaded) != 1 {
		t.Fatalf("docker-archive with an inner symlink: %v %v", loaded, err)
	}
}

func digestOf(b []byte) string { return digest.FromBytes(b).String() }
