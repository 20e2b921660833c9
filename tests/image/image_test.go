// Package image_test drives the built minictr binary through the image verbs: load, images,
// image inspect/unpack, pull (from a registry served here from an OCI layout), rmi.
package image_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	it "github.com/minictr/minictr/image/imagetest"
)

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "minictr")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/minictr/minictr/cmd/minictr")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("minictr %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// layoutRegistry serves the images of an OCI layout as a read-only registry (repository
// "test/NAME"; a tag matches a ref.name equal to it or ending in ":TAG").
func layoutRegistry(layout string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
		if len(parts) != 4 || parts[0] != "test" || parts[1] != "bb" {
			http.NotFound(w, r)
			return
		}
		switch parts[2] {
		case "manifests":
			var idx ocispec.Index
			b, _ := os.ReadFile(filepath.Join(layout, "index.json"))
			json.Unmarshal(b, &idx)
			for _, m := range idx.Manifests {
				if n := m.Annotations[ocispec.AnnotationRefName]; n == parts[3] || strings.HasSuffix(n, ":"+parts[3]) {
					w.Header().Set("Content-Type", m.MediaType)
					http.ServeFile(w, r, filepath.Join(layout, "blobs/sha256", m.Digest.Encoded()))
					return
				}
			}
			http.NotFound(w, r)
		case "blobs":
			http.ServeFile(w, r, filepath.Join(layout, "blobs/sha256", strings.TrimPrefix(parts[3], "sha256:")))
		default:
			http.NotFound(w, r)
		}
	})
}

func TestImageVerbs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	bin := build(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	it.Busybox(t, root)
	layout := filepath.Join(dir, "layout")
	it.Layout(t, layout, "bb:v1", ocispec.ImageConfig{Cmd: []string{"sh"}, Env: []string{"A=1"}},
		it.TarDir(t, root), it.Tar(t, it.Entry{Name: "hello", Body: "hi"}))
	st := filepath.Join(dir, "store")

	out := run(t, bin, "load", "--store", st, "-i", layout+":bb:v1")
	if !strings.Contains(out, "Loaded image: bb:v1") {
		t.Fatalf("load: %s", out)
	}
	if out := run(t, bin, "images", "--store", st); !strings.Contains(out, "bb:v1") {
		t.Errorf("images: %s", out)
	}
	var insp struct {
		Name   string
		Config ocispec.Image
	}
	if err := json.Unmarshal([]byte(run(t, bin, "image", "inspect", "--store", st, "bb:v1")), &insp); err != nil {
		t.Fatal(err)
	}
	if insp.Name != "bb:v1" || strings.Join(insp.Config.Config.Cmd, " ") != "sh" {
		t.Errorf("inspect: %+v", insp)
	}
	dirs := strings.Fields(run(t, bin, "image", "unpack", "--store", st, "bb:v1"))
	if len(dirs) != 2 {
		t.Fatalf("unpack printed %v", dirs)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs[1], "hello")); string(b) != "hi" {
		t.Errorf("top snapshot: hello = %q", b)
	}
	// The environment variable names the store too.
	cmd := exec.Command(bin, "images", "-q")
	cmd.Env = append(os.Environ(), "MINICTR_STORE="+st)
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "bb:v1" {
		t.Errorf("MINICTR_STORE images: %s %v", out, err)
	}

	// Pull from a registry on loopback (plain http is allowed for loopback hosts).
	srv := httptest.NewServer(layoutRegistry(layout))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	out = run(t, bin, "pull", "--store", st, host+"/test/bb:v1")
	if !strings.Contains(out, host+"/test/bb:v1 sha256:") || !strings.Contains(out, "already present") {
		t.Errorf("pull output (blobs are shared with the loaded image):\n%s", out)
	}
	if out := run(t, bin, "images", "--store", st, "-q"); strings.Count(out, "\n") != 2 {
		t.Errorf("images after pull:\n%s", out)
	}
	// Errors are reported, with a non-zero exit.
	if out, err := exec.Command(bin, "pull", "--store", st, host+"/test/nosuch:v1").CombinedOutput(); err == nil || !strings.Contains(string(out), "404") {
		t.Errorf("pull of a missing image: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "rmi", "--store", st, "nosuch").CombinedOutput(); err == nil {
		t.Errorf("rmi of a missing image: %s", out)
	}

	// rmi of both names collects everything.
	out = run(t, bin, "rmi", "--store", st, "bb:v1", host+"/test/bb:v1")
	if !strings.Contains(out, "2 snapshots") {
		t.Errorf("rmi: %s", out)
	}
	for _, d := range []string{"blobs/sha256", "snapshots", "ingest", "containers"} {
		if ents, _ := os.ReadDir(filepath.Join(st, d)); len(ents) != 0 {
			t.Errorf("%s holds %d entries after rmi", d, len(ents))
		}
	}
}
