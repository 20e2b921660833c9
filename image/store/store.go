// Package store is minictr's content store: a directory kept as an OCI image layout
// (oci-layout, index.json, blobs/<alg>/<hex>) that skopeo and umoci can read, plus minictr's
// own subdirectories beside it (ingest/ for partial downloads, snapshots/ for unpacked layers,
// containers/ for container rootfs dirs, locks/).
//
// Every blob is written to ingest/ first, hashed while written, fsynced, checked against its
// expected digest and size, and only then renamed into blobs/: a blob in blobs/ is always
// complete and correct, and an interrupted write leaves nothing there. index.json is replaced
// the same way (temp file, fsync, rename, fsync of the directory).
//
// Locks (flock on files in locks/): "index" is held exclusively around each read-modify-write
// of index.json; "gc" is held shared by every operation that adds content (pull, load, prepare
// a container) and exclusively by garbage collection, so GC never removes a blob that a
// concurrent pull has written but not yet tagged.
package store

import (
	"bytes"
	_ "crypto/sha256" // digest algorithms used by go-digest
	_ "crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// DefaultRoot is the store's default directory.
const DefaultRoot = "/var/lib/minictr"

// RootEnv overrides DefaultRoot.
const RootEnv = "MINICTR_STORE"

// NameAnnotation is the index.json annotation that names an image (as skopeo's and umoci's
// oci:DIR:NAME reference it).
const NameAnnotation = ocispec.AnnotationRefName

// MaxMetadataSize bounds manifests, indexes and configs read into memory.
const MaxMetadataSize = 8 << 20

// Store is an open content store.
type Store struct {
	Root string
}

// ErrNotFound is wrapped when a name or blob is not in the store.
var ErrNotFound = errors.New("not found")

// Open opens (creating if needed) the store at root.
func Open(root string) (*Store, error) {
	if root == "" {
		root = os.Getenv(RootEnv)
	}
	if root == "" {
		root = DefaultRoot
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", root, err)
	}
	s := &Store{Root: abs}
	for _, d := range []string{"blobs/sha256", "ingest", "snapshots", "containers", "locks"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o700); err != nil {
			return nil, fmt.Errorf("open store: create %s: %w", filepath.Join(abs, d), err)
		}
	}
	layout := filepath.Join(abs, ocispec.ImageLayoutFile)
	if _, err := os.Stat(layout); errors.Is(err, os.ErrNotExist) {
		b, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
		if err := WriteFileAtomic(layout, b, 0o644); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	idx := filepath.Join(abs, "index.json")
	if _, err := os.Stat(idx); errors.Is(err, os.ErrNotExist) {
		if err := s.writeIndex(&ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	return s, nil
}

// BlobPath is where blob d lives (whether or not it is there).
func (s *Store) BlobPath(d digest.Digest) string {
	return filepath.Join(s.Root, "blobs", d.Algorithm().String(), d.Encoded())
}

// SnapshotsDir holds the unpacked layers.
func (s *Store) SnapshotsDir() string { return filepath.Join(s.Root, "snapshots") }

// ContainersDir holds each container's rootfs, upper and work directories.
func (s *Store) ContainersDir() string { return filepath.Join(s.Root, "containers") }

// IngestDir holds partial writes; it is on the same filesystem as blobs/ for rename.
func (s *Store) IngestDir() string { return filepath.Join(s.Root, "ingest") }

// HasBlob says whether blob d is present with the given size (size < 0: any size).
func (s *Store) HasBlob(d digest.Digest, size int64) bool {
	if d.Validate() != nil {
		return false
	}
	fi, err := os.Stat(s.BlobPath(d))
	return err == nil && fi.Mode().IsRegular() && (size < 0 || fi.Size() == size)
}

// OpenBlob opens blob d for reading.
func (s *Store) OpenBlob(d digest.Digest) (*os.File, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("open blob %q: %w", d, err)
	}
	f, err := os.Open(s.BlobPath(d))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return f, nil
}

// ReadBlob reads a small blob (manifest, index, config) and re-checks its digest.
func (s *Store) ReadBlob(d digest.Digest) ([]byte, error) {
	f, err := s.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", d, err)
	}
	if len(b) > MaxMetadataSize {
		return nil, fmt.Errorf("read blob %s: more than %d bytes for a manifest or config", d, MaxMetadataSize)
	}
	if got := d.Algorithm().FromBytes(b); got != d {
		return nil, fmt.Errorf("read blob %s: content has digest %s (corrupt store)", d, got)
	}
	return b, nil
}

// WriteBlob copies r into the store and verifies it. With want set, the content must have
// that digest (and size, unless size < 0); without, its sha256 is computed. It returns the
// digest and size. A blob already present is not written again (r is still not read then).
// onProgress, if non-nil, is called with the bytes written so far.
func (s *Store) WriteBlob(r io.Reader, want digest.Digest, size int64, onProgress func(int64)) (digest.Digest, int64, error) {
	alg := digest.Canonical
	if want != "" {
		if err := want.Validate(); err != nil {
			return "", 0, fmt.Errorf("write blob: expected digest %q: %w", want, err)
		}
		if s.HasBlob(want, size) {
			if size < 0 {
				fi, _ := os.Stat(s.BlobPath(want))
				size = fi.Size()
			}
			return want, size, nil
		}
		alg = want.Algorithm()
	}
	tmp, err := os.CreateTemp(s.IngestDir(), "blob-*")
	if err != nil {
		return "", 0, fmt.Errorf("write blob %s: create temp file: %w", want, err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	dg := alg.Digester()
	var src io.Reader = r
	if size >= 0 {
		src = io.LimitReader(r, size+1)
	}
	w := io.MultiWriter(tmp, dg.Hash())
	if onProgress != nil {
		w = &progressWriter{w: w, fn: onProgress}
	}
	n, err := io.CopyBuffer(w, src, make([]byte, 1<<20))
	if err != nil {
		return "", n, fmt.Errorf("write blob %s: copy after %d bytes: %w", want, n, err)
	}
	if size >= 0 && n != size {
		return "", n, fmt.Errorf("write blob %s: got %d bytes, expected %d", want, n, size)
	}
	got := dg.Digest()
	if want != "" && got != want {
		return "", n, fmt.Errorf("write blob: content has digest %s, expected %s", got, want)
	}
	if err := tmp.Sync(); err != nil {
		return "", n, fmt.Errorf("write blob %s: fsync %s: %w", got, tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", n, fmt.Errorf("write blob %s: chmod: %w", got, err)
	}
	if err := tmp.Close(); err != nil {
		return "", n, fmt.Errorf("write blob %s: close: %w", got, err)
	}
	dst := s.BlobPath(got)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", n, fmt.Errorf("write blob %s: %w", got, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", n, fmt.Errorf("write blob %s: rename into %s: %w", got, dst, err)
	}
	tmp = nil
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return "", n, fmt.Errorf("write blob %s: %w", got, err)
	}
	return got, n, nil
}

// WriteBlobBytes stores b.
func (s *Store) WriteBlobBytes(b []byte) (digest.Digest, error) {
	d, _, err := s.WriteBlob(bytes.NewReader(b), digest.FromBytes(b), int64(len(b)), nil)
	return d, err
}

type progressWriter struct {
	w  io.Writer
	n  int64
	fn func(int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.fn(p.n)
	return n, err
}

// RemoveBlob deletes blob d (GC only).
func (s *Store) RemoveBlob(d digest.Digest) error {
	if err := os.Remove(s.BlobPath(d)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove blob %s: %w", d, err)
	}
	return nil
}

// Blobs lists every blob present.
func (s *Store) Blobs() ([]digest.Digest, error) {
	var out []digest.Digest
	algs, err := os.ReadDir(filepath.Join(s.Root, "blobs"))
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	for _, a := range algs {
		ents, err := os.ReadDir(filepath.Join(s.Root, "blobs", a.Name()))
		if err != nil {
			return nil, fmt.Errorf("list blobs: %w", err)
		}
		for _, e := range ents {
			d := digest.NewDigestFromEncoded(digest.Algorithm(a.Name()), e.Name())
			if d.Validate() == nil {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// Index reads index.json.
func (s *Store) Index() (*ocispec.Index, error) {
	p := filepath.Join(s.Root, "index.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	return &idx, nil
}

func (s *Store) writeIndex(idx *ocispec.Index) error {
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encode index.json: %w", err)
	}
	return WriteFileAtomic(filepath.Join(s.Root, "index.json"), append(b, '\n'), 0o644)
}

// UpdateIndex runs fn on index.json under the index lock and writes the result.
func (s *Store) UpdateIndex(fn func(*ocispec.Index) error) error {
	unlock, err := s.Lock("index", true)
	if err != nil {
		return err
	}
	defer unlock()
	idx, err := s.Index()
	if err != nil {
		return err
	}
	if err := fn(idx); err != nil {
		return err
	}
	return s.writeIndex(idx)
}

// Tag names desc (a manifest or index blob already in the store) name, replacing any image
// of that name.
func (s *Store) Tag(name string, desc ocispec.Descriptor) error {
	if !s.HasBlob(desc.Digest, desc.Size) {
		return fmt.Errorf("tag %s: blob %s (%d bytes): %w", name, desc.Digest, desc.Size, ErrNotFound)
	}
	return s.UpdateIndex(func(idx *ocispec.Index) error {
		kept := idx.Manifests[:0]
		for _, m := range idx.Manifests {
			if m.Annotations[NameAnnotation] != name {
				kept = append(kept, m)
			}
		}
		d := ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size, Platform: desc.Platform,
			Annotations: map[string]string{NameAnnotation: name}}
		idx.Manifests = append(kept, d)
		sort.SliceStable(idx.Manifests, func(i, j int) bool {
			return idx.Manifests[i].Annotations[NameAnnotation] < idx.Manifests[j].Annotations[NameAnnotation]
		})
		return nil
	})
}

// Untag removes name from index.json and returns what it named.
func (s *Store) Untag(name string) (ocispec.Descriptor, error) {
	var found ocispec.Descriptor
	err := s.UpdateIndex(func(idx *ocispec.Index) error {
		kept := idx.Manifests[:0]
		for _, m := range idx.Manifests {
			if m.Annotations[NameAnnotation] == name {
				found = m
				continue
			}
			kept = append(kept, m)
		}
		idx.Manifests = kept
		if found.Digest == "" {
			return fmt.Errorf("remove image %s: %w", name, ErrNotFound)
		}
		return nil
	})
	return found, err
}

// Lookup finds name in index.json: by its name annotation, or by digest (full, or a prefix
// of at least 6 hex digits of the manifest's sha256).
func (s *Store) Lookup(name string) (ocispec.Descriptor, error) {
	idx, err := s.Index()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, m := range idx.Manifests {
		if m.Annotations[NameAnnotation] == name {
			return m, nil
		}
	}
	prefix := strings.TrimPrefix(name, "sha256:")
	if len(prefix) >= 6 && isHex(prefix) {
		var hits []ocispec.Descriptor
		for _, m := range idx.Manifests {
			if strings.HasPrefix(m.Digest.Encoded(), prefix) {
				hits = append(hits, m)
			}
		}
		if len(hits) >= 1 {
			return hits[0], nil
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("image %s: %w in store %s", name, ErrNotFound, s.Root)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Lock takes flock on locks/<name>, exclusive or shared, and returns the release function.
func (s *Store) Lock(name string, exclusive bool) (func(), error) {
	p := filepath.Join(s.Root, "locks", name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock store: open %s: %w", p, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock store: flock %s: %w", p, err)
	}
	return func() { f.Close() }, nil
}

// Use holds the GC lock shared for an operation that adds content.
func (s *Store) Use() (func(), error) { return s.Lock("gc", false) }

// WriteFileAtomic writes b to path through a temp file in the same directory, fsync and
// rename, then fsyncs the directory.
func WriteFileAtomic(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(b)
	if werr == nil {
		werr = tmp.Chmod(mode)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// AdoptFile moves the file at path (on the store's filesystem, e.g. in IngestDir) into the
// store as a blob, after hashing it and checking want (if set). The file is gone afterwards
// unless an error is returned.
func (s *Store) AdoptFile(path string, want digest.Digest) (digest.Digest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("adopt blob %s: %w", path, err)
	}
	defer f.Close()
	alg := digest.Canonical
	if want != "" {
		if err := want.Validate(); err != nil {
			return "", 0, fmt.Errorf("adopt blob %s: expected digest %q: %w", path, want, err)
		}
		alg = want.Algorithm()
	}
	dg := alg.Digester()
	n, err := io.CopyBuffer(dg.Hash(), f, make([]byte, 1<<20))
	if err != nil {
		return "", n, fmt.Errorf("adopt blob %s: read: %w", path, err)
	}
	got := dg.Digest()
	if want != "" && got != want {
		return "", n, fmt.Errorf("adopt blob %s: content has digest %s, expected %s", path, got, want)
	}
	if s.HasBlob(got, n) {
		os.Remove(path)
		return got, n, nil
	}
	if err := f.Sync(); err != nil {
		return "", n, fmt.Errorf("adopt blob %s: fsync: %w", path, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		return "", n, fmt.Errorf("adopt blob %s: %w", path, err)
	}
	dst := s.BlobPath(got)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", n, fmt.Errorf("adopt blob %s: %w", path, err)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", n, fmt.Errorf("adopt blob %s: rename to %s: %w", path, dst, err)
	}
	return got, n, syncDir(filepath.Dir(dst))
}

// RemoveIngest deletes partial writes left by interrupted processes (GC lock held
// exclusively).
func (s *Store) RemoveIngest() error {
	ents, err := os.ReadDir(s.IngestDir())
	if err != nil {
		return fmt.Errorf("list %s: %w", s.IngestDir(), err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(s.IngestDir(), e.Name())); err != nil {
			return fmt.Errorf("remove partial write: %w", err)
		}
	}
	return nil
}
