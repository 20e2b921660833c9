package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/minictr/minictr/image"
	it "github.com/minictr/minictr/image/imagetest"
	"github.com/minictr/minictr/image/reference"
	"github.com/minictr/minictr/image/store"
)

func TestParseChallenge(t *testing.T) {
	sc, p := parseChallenge(`Bearer realm="https://auth.test/token",service="reg",scope="repository:a/b:pull,push"`)
	if sc != "bearer" || p["realm"] != "https://auth.test/token" || p["service"] != "reg" || p["scope"] != "repository:a/b:pull,push" {
		t.Fatalf("%s %v", sc, p)
	}
}

// fakeRegistry serves one image with bearer auth; the first GET of the layer is cut in the
// middle when cut is set, and the layer's bytes are corrupted when corrupt is set.
type fakeRegistry struct {
	manifest, config, layer []byte
	cut, corrupt            atomic.Bool
	layerGets               atomic.Int32
}

func newFakeImage(t *testing.T) *fakeRegistry {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	body := bytes.Repeat([]byte("minictr "), 1<<16) // 512 KiB
	tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644})
	tw.Write(body)
	tw.Close()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.NoCompression)
	zw.Write(tb.Bytes())
	zw.Close()
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Config: ocispec.ImageConfig{Cmd: []string{"sh"}}, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(tb.Bytes())}}})
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len())}}})
	return &fakeRegistry{manifest: m, config: cfg, layer: gz.Bytes()}
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		if !strings.Contains(r.URL.Query().Get("scope"), "repository:test/img:pull") {
			http.Error(w, "bad scope", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `{"token":"t0k3n"}`)
		return
	}
	if r.Header.Get("Authorization") != "Bearer t0k3n" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="fake"`, r.Host))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/v2/":
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/v2/test/img/manifests/v1":
		w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
		w.Header().Set("Docker-Content-Digest", digest.FromBytes(f.manifest).String())
		w.Write(f.manifest)
	case r.URL.Path == "/v2/test/img/blobs/"+digest.FromBytes(f.config).String():
		w.Write(f.config)
	case r.URL.Path == "/v2/test/img/blobs/"+digest.FromBytes(f.layer).String():
		f.layerGets.Add(1)
		w.Header().Set("Content-Length", fmt.Sprint(len(f.layer)))
		switch {
		case f.cut.Load():
			w.Write(f.layer[:len(f.layer)/2])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		case f.corrupt.Load():
			bad := append([]byte{}, f.layer...)
			bad[len(bad)/2] ^= 0xff
			w.Write(bad)
		default:
			w.Write(f.layer)
		}
	default:
		http.NotFound(w, r)
	}
}

func blobCount(t *testing.T, s *store.Store) int {
	b, err := s.Blobs()
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestPullInterruptedThenRetry(t *testing.T) {
	f := newFakeImage(t)
	srv := httptest.NewServer(f)
	defer srv.Close()
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := reference.Parse(strings.TrimPrefix(srv.URL, "http://") + "/test/img:v1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := Options{TLSVerify: false}

	f.cut.Store(true)
	if _, _, err := Pull(ctx, s, ref, opts); err == nil {
		t.Fatal("pull with a cut connection succeeded")
	}
	f.cut.Store(false)
	f.corrupt.Store(true)
	if _, _, err := Pull(ctx, s, ref, opts); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("pull of a corrupt layer: %v", err)
	}
	// Nothing but the (verified) config is kept; no partial file is left.
	if n := blobCount(t, s); n != 1 || s.HasBlob(digest.FromBytes(f.layer), -1) {
		t.Errorf("after failed pulls: %d blobs (want the config only)", n)
	}
	if ents, _ := os.ReadDir(s.IngestDir()); len(ents) != 0 {
		t.Errorf("ingest holds %d partial files", len(ents))
	}
	if idx, _ := s.Index(); len(idx.Manifests) != 0 {
		t.Errorf("a failed pull tagged an image")
	}
	f.corrupt.Store(false)
	name, desc, err := Pull(ctx, s, ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != digest.FromBytes(f.manifest) || name != ref.String() {
		t.Errorf("pulled %s %s", name, desc.Digest)
	}
	img, err := image.Resolve(s, name, ocispec.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := image.Unpack(ctx, s, img); err != nil {
		t.Fatal(err)
	}
	// Again: every blob is already there, none is fetched.
	gets := f.layerGets.Load()
	if _, _, err := Pull(ctx, s, ref, opts); err != nil {
		t.Fatal(err)
	}
	if f.layerGets.Load() != gets {
		t.Error("a second pull downloaded the layer again")
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPullFromDockerRegistry pushes an image built here to Debian's docker-registry with
// skopeo (OCI and Docker schema 2 manifests) and pulls it back.
func TestPullFromDockerRegistry(t *testing.T) {
	it.Need(t, "docker-registry", "skopeo")
	dir := t.TempDir()
	port := freePort(t)
	cfgPath := filepath.Join(dir, "config.yml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%d\n", filepath.Join(dir, "data"), port)), 0o644)
	cmd := exec.Command("docker-registry", "serve", cfgPath)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	host := fmt.Sprintf("127.0.0.1:%d", port)
	up := false
	for i := 0; i < 100 && !up; i++ {
		if resp, err := http.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			up = resp.StatusCode == 200
		}
		if !up {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !up {
		t.Fatalf("registry did not come up:\n%s", logs.String())
	}
	root := filepath.Join(dir, "rootfs")
	it.Busybox(t, root)
	layout := filepath.Join(dir, "layout")
	it.Layout(t, layout, "bb", ocispec.ImageConfig{Cmd: []string{"sh"}}, it.TarDir(t, root), it.Tar(t, it.Entry{Name: "etc/.wh.group"}, it.Entry{Name: "hello", Body: "hi"}))
	it.Run(t, "skopeo", "copy", "--dest-tls-verify=false", "oci:"+layout+":bb", "docker://"+host+"/test/bb:oci")
	it.Run(t, "skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", "oci:"+layout+":bb", "docker://"+host+"/test/bb:v2s2")
	s, err := store.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var plain bytes.Buffer
	for _, tag := range []string{"oci", "v2s2"} {
		ref, _ := reference.Parse(host + "/test/bb:" + tag)
		name, _, err := Pull(ctx, s, ref, Options{TLSVerify: false, Progress: NewProgress(&plain)})
		if err != nil {
			t.Fatalf("pull %s: %v", tag, err)
		}
		img, err := image.Resolve(s, name, ocispec.Platform{})
		if err != nil {
			t.Fatal(err)
		}
		dirs, err := image.Unpack(ctx, s, img)
		if err != nil || len(dirs) != 2 {
			t.Fatalf("unpack %s: %v %v", tag, dirs, err)
		}
		top := dirs[1]
		if b, _ := os.ReadFile(filepath.Join(top, "hello")); string(b) != "hi" {
			t.Errorf("%s: hello = %q", tag, b)
		}
	}
	if !strings.Contains(plain.String(), "done") || !strings.Contains(plain.String(), "already present") {
		t.Errorf("progress lines:\n%s", plain.String())
	}
}
