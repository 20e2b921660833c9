// Package archive imports images into the store from an OCI image layout (a directory, or a
// tar of one) or a docker-archive tar (what `docker save` and `skopeo copy ... docker-archive:`
// write).
package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/minictr/minictr/image/manifest"
	"github.com/minictr/minictr/image/reference"
	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/image/unpack"
)

// Options tune an import.
type Options struct {
	// Name names the imported image (instead of the names in the archive).
	Name string
	// Platform picks the manifest from an image index.
	Platform ocispec.Platform
}

// Loaded is one image that an import tagged.
type Loaded struct {
	Name     string
	Manifest ocispec.Descriptor
}

// containerdName is the annotation docker and containerd put the full image name in.
const containerdName = "io.containerd.image.name"

// Load imports src: an OCI layout directory ("DIR" or "DIR:TAG"), an OCI layout tar, or a
// docker-archive tar.
func Load(ctx context.Context, s *store.Store, src string, opts Options) ([]Loaded, error) {
	if opts.Platform.OS == "" {
		opts.Platform = manifest.DefaultPlatform()
	}
	release, err := s.Use()
	if err != nil {
		return nil, err
	}
	defer release()
	path, tag := src, ""
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// DIR:TAG, where the tag may itself hold a ':' (name:tag): the first prefix that
		// exists is the path.
		for i := 0; i < len(src); i++ {
			if src[i] != ':' || i == 0 {
				continue
			}
			if _, err := os.Stat(src[:i]); err == nil {
				path, tag = src[:i], src[i+1:]
				break
			}
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", src, err)
	}
	if fi.IsDir() {
		return loadLayout(s, path, tag, opts)
	}
	// A tar: unpack it (safely) into the store's ingest area, then read it as a directory;
	// its blobs are moved, not copied, into the store.
	tmp, err := os.MkdirTemp(s.IngestDir(), "load-")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", src, err)
	}
	defer os.RemoveAll(tmp)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", src, err)
	}
	defer f.Close()
	dr, _, err := unpack.Decompress(f)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", src, err)
	}
	defer dr.Close()
	if _, err := unpack.Apply(ctx, tmp, dr, unpack.Options{Whiteouts: unpack.ApplyWhiteouts, NoSameOwner: true}); err != nil {
		return nil, fmt.Errorf("load %s: read archive: %w", src, err)
	}
	if _, err := os.Stat(filepath.Join(tmp, ocispec.ImageLayoutFile)); err == nil {
		return loadLayout(s, tmp, tag, opts)
	}
	if _, err := os.Stat(filepath.Join(tmp, "manifest.json")); err == nil {
		return loadDockerArchive(s, tmp, opts)
	}
	return nil, fmt.Errorf("load %s: neither an OCI layout (no oci-layout file) nor a docker-archive (no manifest.json)", src)
}

// readSmall reads a metadata file with a size bound.
func readSmall(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, store.MaxMetadataSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > store.MaxMetadataSize {
		return nil, fmt.Errorf("%s: more than %d bytes", p, store.MaxMetadataSize)
	}
	return b, nil
}

// layout reads blobs of an OCI layout directory.
type layout struct {
	dir   string
	s     *store.Store
	adopt bool // the directory is ours: move blobs instead of copying
}

func (l *layout) blobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("blob digest %q: %w", d, err)
	}
	return inside(l.dir, filepath.Join("blobs", d.Algorithm().String(), d.Encoded()))
}

// inside resolves rel in dir with symlinks confined to dir (docker save links duplicate
// layers; a hostile archive could link to a host file) and requires a regular file.
func inside(dir, rel string) (string, error) {
	p, err := securejoin.SecureJoin(dir, rel)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", rel, err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("path %q: not a regular file (%s)", rel, fi.Mode().Type())
	}
	return p, nil
}

// copyBlob puts blob desc in the store, verified.
func (l *layout) copyBlob(desc ocispec.Descriptor) error {
	if l.s.HasBlob(desc.Digest, desc.Size) {
		return nil
	}
	p, err := l.blobPath(desc.Digest)
	if err != nil {
		return err
	}
	if l.adopt {
		got, n, err := l.s.AdoptFile(p, desc.Digest)
		if err != nil {
			return err
		}
		if desc.Size >= 0 && n != desc.Size {
			l.s.RemoveBlob(got)
			return fmt.Errorf("blob %s: %d bytes, the descriptor says %d", desc.Digest, n, desc.Size)
		}
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	defer f.Close()
	_, _, err = l.s.WriteBlob(f, desc.Digest, desc.Size, nil)
	return err
}

// readBlob reads and copies a metadata blob.
func (l *layout) readBlob(desc ocispec.Descriptor) ([]byte, error) {
	p, err := l.blobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	b, err := readSmall(p)
	if err != nil {
		// Already moved into the store by an earlier entry of the same archive.
		if l.s.HasBlob(desc.Digest, desc.Size) {
			return l.s.ReadBlob(desc.Digest)
		}
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	if got := desc.Digest.Algorithm().FromBytes(b); got != desc.Digest {
		return nil, fmt.Errorf("blob %s: content has digest %s", desc.Digest, got)
	}
	if int64(len(b)) != desc.Size {
		return nil, fmt.Errorf("blob %s: %d bytes, the descriptor says %d", desc.Digest, len(b), desc.Size)
	}
	if _, err := l.s.WriteBlobBytes(b); err != nil {
		return nil, err
	}
	return b, nil
}

// importManifest follows desc (an index or a manifest) to the manifest for the platform and
// copies it with its config and layers; it returns the manifest's descriptor.
func (l *layout) importManifest(desc ocispec.Descriptor, p ocispec.Platform, depth int) (ocispec.Descriptor, error) {
	if depth > 4 {
		return desc, fmt.Errorf("image indexes nested more than 4 deep")
	}
	b, err := l.readBlob(desc)
	if err != nil {
		return desc, err
	}
	mt := desc.MediaType
	if mt == "" {
		mt = manifest.Detect(b)
	}
	if manifest.IsIndex(mt) {
		idx, err := manifest.ParseIndex(b)
		if err != nil {
			return desc, fmt.Errorf("blob %s: %w", desc.Digest, err)
		}
		child, err := manifest.Select(idx, p)
		if err != nil {
			return desc, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		return l.importManifest(child, p, depth+1)
	}
	m, err := manifest.ParseManifest(b)
	if err != nil {
		return desc, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	if _, err := l.readBlob(m.Config); err != nil {
		return desc, fmt.Errorf("config: %w", err)
	}
	for i, ly := range m.Layers {
		if err := l.copyBlob(ly); err != nil {
			return desc, fmt.Errorf("layer %d: %w", i, err)
		}
	}
	desc.MediaType = mt
	desc.Annotations = nil
	return desc, nil
}

func loadLayout(s *store.Store, dir, tag string, opts Options) ([]Loaded, error) {
	p, err := inside(dir, ocispec.ImageLayoutFile)
	if err != nil {
		return nil, fmt.Errorf("load OCI layout %s: %w", dir, err)
	}
	b, err := readSmall(p)
	if err != nil {
		return nil, fmt.Errorf("load OCI layout %s: %w", dir, err)
	}
	var lay ocispec.ImageLayout
	if err := json.Unmarshal(b, &lay); err != nil || lay.Version == "" {
		return nil, fmt.Errorf("load OCI layout %s: oci-layout file: not {\"imageLayoutVersion\": ...} (%v)", dir, err)
	}
	if p, err = inside(dir, "index.json"); err != nil {
		return nil, fmt.Errorf("load OCI layout %s: %w", dir, err)
	}
	b, err = readSmall(p)
	if err != nil {
		return nil, fmt.Errorf("load OCI layout %s: %w", dir, err)
	}
	idx, err := manifest.ParseIndex(b)
	if err != nil {
		return nil, fmt.Errorf("load OCI layout %s: index.json: %w", dir, err)
	}
	l := &layout{dir: dir, s: s, adopt: strings.HasPrefix(dir, s.IngestDir()+string(filepath.Separator))}
	var out []Loaded
	var names []string
	for _, d := range idx.Manifests {
		refName := d.Annotations[ocispec.AnnotationRefName]
		if tag != "" && refName != tag && !strings.HasSuffix(refName, ":"+tag) {
			continue
		}
		names = append(names, refName)
		name, err := layoutEntryName(dir, d, opts.Name)
		if err != nil {
			return nil, fmt.Errorf("load OCI layout %s: %w", dir, err)
		}
		md, err := l.importManifest(d, opts.Platform, 0)
		if err != nil {
			return nil, fmt.Errorf("load OCI layout %s: image %q: %w", dir, refName, err)
		}
		if err := s.Tag(name, md); err != nil {
			return nil, err
		}
		out = append(out, Loaded{Name: name, Manifest: md})
		if opts.Name != "" {
			break
		}
	}
	if len(out) == 0 {
		if tag != "" {
			return nil, fmt.Errorf("load OCI layout %s: no image named %q in index.json", dir, tag)
		}
		return nil, fmt.Errorf("load OCI layout %s: index.json lists no image", dir)
	}
	return out, nil
}

// layoutEntryName decides the store name of an index.json entry.
func layoutEntryName(dir string, d ocispec.Descriptor, override string) (string, error) {
	cand := override
	if cand == "" {
		cand = d.Annotations[containerdName]
	}
	if cand == "" {
		cand = d.Annotations[ocispec.AnnotationRefName]
		if cand != "" && !strings.ContainsAny(cand, ":/") {
			// A bare tag (as umoci writes): the layout directory's name is the repository.
			cand = repoFromPath(dir) + ":" + cand
		}
	}
	if cand == "" {
		cand = repoFromPath(dir) + ":" + d.Digest.Encoded()[:12]
	}
	r, err := reference.Parse(cand)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}

func repoFromPath(p string) string {
	base := strings.ToLower(filepath.Base(strings.TrimSuffix(p, ".tar")))
	var b strings.Builder
	for _, c := range base {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else if b.Len() > 0 {
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" || strings.HasPrefix(s, "load") {
		s = "image"
	}
	return s
}

// dockerEntry is one image in a docker-archive's manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func loadDockerArchive(s *store.Store, dir string, opts Options) ([]Loaded, error) {
	p, err := inside(dir, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("load docker-archive: %w", err)
	}
	b, err := readSmall(p)
	if err != nil {
		return nil, fmt.Errorf("load docker-archive: %w", err)
	}
	var entries []dockerEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("load docker-archive: manifest.json: %w", err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("load docker-archive: manifest.json lists no image")
	}
	// Files are moved into the store: the first image that uses one moves it, later ones
	// find it there by digest.
	moved := map[string]ocispec.Descriptor{}
	adopt := func(rel string) (ocispec.Descriptor, error) {
		if j, err := securejoin.SecureJoin(dir, rel); err == nil {
			if d, ok := moved[j]; ok {
				return d, nil
			}
		}
		p, err := inside(dir, rel)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		head := make([]byte, 4)
		f, err := os.Open(p)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("file %s: %w", rel, err)
		}
		n, _ := io.ReadFull(f, head)
		f.Close()
		dg, size, err := s.AdoptFile(p, "")
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		mt := ocispec.MediaTypeImageLayer
		switch {
		case n >= 2 && bytes.Equal(head[:2], []byte{0x1f, 0x8b}):
			mt = ocispec.MediaTypeImageLayerGzip
		case n == 4 && bytes.Equal(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
			mt = ocispec.MediaTypeImageLayerZstd
		}
		d := ocispec.Descriptor{MediaType: mt, Digest: dg, Size: size}
		moved[p] = d
		return d, nil
	}
	var out []Loaded
	for i, e := range entries {
		cfgPath, err := inside(dir, e.Config)
		if err != nil {
			return nil, fmt.Errorf("load docker-archive: image %d: config: %w", i, err)
		}
		cfgBytes, err := readSmall(cfgPath)
		if err != nil {
			return nil, fmt.Errorf("load docker-archive: image %d: config: %w", i, err)
		}
		cfg, err := manifest.ParseConfig(cfgBytes)
		if err != nil {
			return nil, fmt.Errorf("load docker-archive: image %d: %w", i, err)
		}
		if len(cfg.RootFS.DiffIDs) != len(e.Layers) {
			return nil, fmt.Errorf("load docker-archive: image %d: %d layers but the config lists %d diff IDs", i, len(e.Layers), len(cfg.RootFS.DiffIDs))
		}
		cfgDigest, err := s.WriteBlobBytes(cfgBytes)
		if err != nil {
			return nil, err
		}
		m := ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest,
			Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cfgDigest, Size: int64(len(cfgBytes))},
			Layers:    []ocispec.Descriptor{},
		}
		for j, lp := range e.Layers {
			d, err := adopt(lp)
			if err != nil {
				return nil, fmt.Errorf("load docker-archive: image %d: layer %d: %w", i, j, err)
			}
			m.Layers = append(m.Layers, d)
		}
		mb, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("load docker-archive: encode manifest: %w", err)
		}
		md, err := s.WriteBlobBytes(mb)
		if err != nil {
			return nil, err
		}
		desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: md, Size: int64(len(mb))}
		names := e.RepoTags
		if opts.Name != "" {
			names = []string{opts.Name}
		}
		if len(names) == 0 {
			names = []string{"image:" + cfgDigest.Encoded()[:12]}
		}
		for _, n := range names {
			r, err := reference.Parse(n)
			if err != nil {
				return nil, fmt.Errorf("load docker-archive: image %d: name: %w", i, err)
			}
			if err := s.Tag(r.String(), desc); err != nil {
				return nil, err
			}
			out = append(out, Loaded{Name: r.String(), Manifest: desc})
		}
		if opts.Name != "" {
			break
		}
	}
	return out, nil
}
