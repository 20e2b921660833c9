package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestOpenWritesLayout(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Root, "oci-layout"))
	var l ocispec.ImageLayout
	if json.Unmarshal(b, &l) != nil || l.Version != ocispec.ImageLayoutVersion {
		t.Errorf("oci-layout = %s", b)
	}
	idx, err := s.Index()
	if err != nil || idx.SchemaVersion != 2 || len(idx.Manifests) != 0 {
		t.Errorf("index %+v %v", idx, err)
	}
	if _, err := Open(s.Root); err != nil { // reopening keeps it
		t.Fatal(err)
	}
}

func TestWriteBlobVerifies(t *testing.T) {
	s, _ := Open(t.TempDir())
	data := []byte("hello blob")
	good := digest.FromBytes(data)
	if _, _, err := s.WriteBlob(bytes.NewReader(data), digest.FromString("other"), -1, nil); err == nil {
		t.Error("wrong digest accepted")
	}
	if _, _, err := s.WriteBlob(bytes.NewReader(data), good, 3, nil); err == nil {
		t.Error("wrong size accepted")
	}
	if _, _, err := s.WriteBlob(&failingReader{data[:4]}, good, int64(len(data)), nil); err == nil {
		t.Error("a failing reader's blob was stored")
	}
	if s.HasBlob(good, -1) {
		t.Fatal("a rejected blob is in the store")
	}
	if ents, _ := os.ReadDir(s.IngestDir()); len(ents) != 0 {
		t.Errorf("%d temp files left in ingest/", len(ents))
	}
	var progress int64
	d, n, err := s.WriteBlob(bytes.NewReader(data), good, int64(len(data)), func(p int64) { progress = p })
	if err != nil || d != good || n != int64(len(data)) || progress != n {
		t.Fatalf("WriteBlob = %s %d %v (progress %d)", d, n, err, progress)
	}
	if b, err := s.ReadBlob(good); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("ReadBlob = %q %v", b, err)
	}
	// A blob corrupted on disk is caught when read.
	os.WriteFile(s.BlobPath(good), []byte("tampered!!"), 0o644)
	if _, err := s.ReadBlob(good); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("tampered blob: %v", err)
	}
}

type failingReader struct{ b []byte }

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, errors.New("connection reset")
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

func TestTagLookupUntag(t *testing.T) {
	s, _ := Open(t.TempDir())
	d, err := s.WriteBlobBytes([]byte(`{"schemaVersion":2}`))
	if err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: d, Size: 19}
	if err := s.Tag("a:v1", ocispec.Descriptor{Digest: digest.FromString("x"), Size: 1}); err == nil {
		t.Error("tagging a missing blob worked")
	}
	for _, n := range []string{"a:v1", "b:v1", "a:v1"} {
		if err := s.Tag(n, desc); err != nil {
			t.Fatal(err)
		}
	}
	idx, _ := s.Index()
	if len(idx.Manifests) != 2 {
		t.Errorf("index has %d entries, want 2 (a re-tag replaces)", len(idx.Manifests))
	}
	if got, err := s.Lookup("b:v1"); err != nil || got.Digest != d {
		t.Errorf("Lookup = %v %v", got, err)
	}
	if got, err := s.Lookup(d.Encoded()[:8]); err != nil || got.Digest != d {
		t.Errorf("Lookup by digest prefix = %v %v", got, err)
	}
	if _, err := s.Untag("a:v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup("a:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after untag: %v", err)
	}
	if _, err := s.Untag("a:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second untag: %v", err)
	}
}

// TestConcurrentTags runs many read-modify-writes of index.json at once: the lock keeps
// every one.
func TestConcurrentTags(t *testing.T) {
	s, _ := Open(t.TempDir())
	d, _ := s.WriteBlobBytes([]byte("m"))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s2, _ := Open(s.Root) // as a separate process would
			if err := s2.Tag("img:"+string(rune('a'+i)), ocispec.Descriptor{Digest: d, Size: 1}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	idx, _ := s.Index()
	if len(idx.Manifests) != 20 {
		t.Errorf("%d of 20 tags kept", len(idx.Manifests))
	}
}
