// Package image is minictr's image layer: it ties the content store (image/store), imports
// (image/archive), registry pulls (image/registry), layer snapshots (rootfs/snapshot) and the
// image config -> runtime spec conversion together, for the CLI and for `minictr run IMAGE`.
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/minictr/minictr/image/manifest"
	"github.com/minictr/minictr/image/reference"
	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/rootfs/snapshot"
)

// Image is an image found in the store, resolved to one platform's manifest.
type Image struct {
	Name           string             // the name it was found under (canonical form)
	Top            ocispec.Descriptor // the index.json entry (a manifest or an index)
	ManifestDesc   ocispec.Descriptor
	Manifest       *ocispec.Manifest
	Config         *ocispec.Image
	ConfigDesc     ocispec.Descriptor
	Size           int64 // manifest + config + layers as stored (compressed)
	DiffIDs        []digest.Digest
	ChainIDs       []digest.Digest
	manifestTarget string
}

// Open opens the store at root ("" = $MINICTR_STORE or /var/lib/minictr).
func Open(root string) (*store.Store, error) { return store.Open(root) }

// canonical returns the candidate store names for what the user typed.
func candidates(name string) []string {
	out := []string{name}
	if r, err := reference.Parse(name); err == nil && r.String() != name {
		out = append(out, r.String())
	}
	return out
}

// Resolve finds name in the store and reads its manifest (for platform p; zero value =
// linux/host arch) and config.
func Resolve(s *store.Store, name string, p ocispec.Platform) (*Image, error) {
	if p.OS == "" {
		p = manifest.DefaultPlatform()
	}
	var top ocispec.Descriptor
	var err error
	found := ""
	for _, c := range candidates(name) {
		if top, err = s.Lookup(c); err == nil {
			found = c
			break
		}
	}
	if found == "" {
		return nil, err
	}
	img := &Image{Name: found, Top: top}
	desc := top
	for depth := 0; ; depth++ {
		if depth > 4 {
			return nil, fmt.Errorf("image %s: indexes nested more than 4 deep", name)
		}
		b, err := s.ReadBlob(desc.Digest)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
		mt := desc.MediaType
		if mt == "" {
			mt = manifest.Detect(b)
		}
		if manifest.IsIndex(mt) {
			idx, err := manifest.ParseIndex(b)
			if err != nil {
				return nil, fmt.Errorf("image %s: index %s: %w", name, desc.Digest, err)
			}
			if desc, err = manifest.Select(idx, p); err != nil {
				return nil, fmt.Errorf("image %s: %w", name, err)
			}
			continue
		}
		m, err := manifest.ParseManifest(b)
		if err != nil {
			return nil, fmt.Errorf("image %s: manifest %s: %w", name, desc.Digest, err)
		}
		img.ManifestDesc, img.Manifest = desc, m
		img.Size = desc.Size
		break
	}
	cb, err := s.ReadBlob(img.Manifest.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: config: %w", name, err)
	}
	if img.Config, err = manifest.ParseConfig(cb); err != nil {
		return nil, fmt.Errorf("image %s: %w", name, err)
	}
	img.ConfigDesc = img.Manifest.Config
	img.Size += img.ConfigDesc.Size
	for _, l := range img.Manifest.Layers {
		img.Size += l.Size
	}
	img.DiffIDs = img.Config.RootFS.DiffIDs
	if len(img.DiffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("image %s: manifest has %d layers, config has %d diff IDs", name, len(img.Manifest.Layers), len(img.DiffIDs))
	}
	for i, l := range img.Manifest.Layers {
		if !manifest.IsLayer(l.MediaType) {
			return nil, fmt.Errorf("image %s: layer %d: media type %q is not a layer", name, i, l.MediaType)
		}
	}
	img.ChainIDs = manifest.ChainIDs(img.DiffIDs)
	return img, nil
}

// Layers returns the image's layers for the snapshotter.
func (img *Image) Layers(s *store.Store) []snapshot.Layer {
	out := make([]snapshot.Layer, len(img.Manifest.Layers))
	for i, l := range img.Manifest.Layers {
		d := l.Digest
		out[i] = snapshot.Layer{DiffID: img.DiffIDs[i], Open: func() (io.ReadCloser, error) { return s.OpenBlob(d) }}
	}
	return out
}

// Snapshotter returns the store's snapshotter.
func Snapshotter(s *store.Store) (*snapshot.Snapshotter, error) {
	return snapshot.New(s.SnapshotsDir())
}

// Unpack makes sure every layer of img has its snapshot and returns their directories (bottom
// first).
func Unpack(ctx context.Context, s *store.Store, img *Image) ([]string, error) {
	release, err := s.Use()
	if err != nil {
		return nil, err
	}
	defer release()
	sn, err := Snapshotter(s)
	if err != nil {
		return nil, err
	}
	return sn.Prepare(ctx, img.Layers(s), maxParallel())
}

// Summary is one line of `minictr images`.
type Summary struct {
	Name    string
	Digest  digest.Digest // of the index.json entry
	Size    int64
	Created string
}

// List lists the images in the store.
func List(s *store.Store) ([]Summary, error) {
	idx, err := s.Index()
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, m := range idx.Manifests {
		name := m.Annotations[store.NameAnnotation]
		sum := Summary{Name: name, Digest: m.Digest, Size: -1}
		if img, err := Resolve(s, name, ocispec.Platform{}); err == nil {
			sum.Size = img.Size
			if img.Config.Created != nil {
				sum.Created = img.Config.Created.UTC().Format("2006-01-02 15:04")
			}
		}
		out = append(out, sum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove untags name (and collects what no image or container uses any more, unless noGC).
func Remove(s *store.Store, name string, noGC bool) (GCStats, error) {
	var err error
	for _, c := range candidates(name) {
		if _, err = s.Untag(c); err == nil {
			break
		}
	}
	if err != nil {
		return GCStats{}, err
	}
	if noGC {
		return GCStats{}, nil
	}
	return GC(s)
}

// GCStats says what a collection removed.
type GCStats struct {
	Blobs     int
	Bytes     int64
	Snapshots int
}

// GC removes blobs not reachable from index.json, snapshots no image and no container uses,
// and partial writes of interrupted processes. It waits for running pulls, loads and container
// preparations to finish (the store's GC lock).
func GC(s *store.Store) (GCStats, error) {
	var st GCStats
	unlock, err := s.Lock("gc", true)
	if err != nil {
		return st, err
	}
	defer unlock()
	idx, err := s.Index()
	if err != nil {
		return st, err
	}
	keep := map[digest.Digest]bool{}
	keepSnap := map[digest.Digest]bool{}
	var walk func(d ocispec.Descriptor, depth int) error
	walk = func(d ocispec.Descriptor, depth int) error {
		if keep[d.Digest] || depth > 8 {
			return nil
		}
		keep[d.Digest] = true
		if !s.HasBlob(d.Digest, -1) {
			return nil // an index may name manifests of other platforms that were not pulled
		}
		b, err := s.ReadBlob(d.Digest)
		if err != nil {
			return err
		}
		mt := d.MediaType
		if mt == "" {
			mt = manifest.Detect(b)
		}
		switch {
		case manifest.IsIndex(mt):
			ix, err := manifest.ParseIndex(b)
			if err != nil {
				return err
			}
			for _, c := range ix.Manifests {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		case manifest.IsManifest(mt):
			m, err := manifest.ParseManifest(b)
			if err != nil {
				return err
			}
			keep[m.Config.Digest] = true
			for _, l := range m.Layers {
				keep[l.Digest] = true
			}
			if cb, err := s.ReadBlob(m.Config.Digest); err == nil {
				if cfg, err := manifest.ParseConfig(cb); err == nil {
					for _, c := range manifest.ChainIDs(cfg.RootFS.DiffIDs) {
						keepSnap[c] = true
					}
				}
			}
		}
		return nil
	}
	for _, m := range idx.Manifests {
		if err := walk(m, 0); err != nil {
			return st, fmt.Errorf("gc: walk image %s: %w", m.Annotations[store.NameAnnotation], err)
		}
	}
	// Containers keep their snapshots (and, through them, nothing else: blobs are only read
	// when unpacking).
	used, err := containerSnapshots(s)
	if err != nil {
		return st, err
	}
	for _, c := range used {
		keepSnap[c] = true
	}
	blobs, err := s.Blobs()
	if err != nil {
		return st, err
	}
	for _, b := range blobs {
		if keep[b] {
			continue
		}
		if fi, err := os.Stat(s.BlobPath(b)); err == nil {
			st.Bytes += fi.Size()
		}
		if err := s.RemoveBlob(b); err != nil {
			return st, err
		}
		st.Blobs++
	}
	sn, err := Snapshotter(s)
	if err != nil {
		return st, err
	}
	snaps, err := sn.List()
	if err != nil {
		return st, err
	}
	for _, c := range snaps {
		if keepSnap[c] {
			continue
		}
		if err := sn.Remove(c); err != nil {
			return st, err
		}
		st.Snapshots++
	}
	if err := sn.RemoveTemps(); err != nil {
		return st, err
	}
	if err := s.RemoveIngest(); err != nil {
		return st, err
	}
	return st, nil
}

// containerSnapshots reads the chain IDs that each container's rootfs uses.
func containerSnapshots(s *store.Store) ([]digest.Digest, error) {
	ents, err := os.ReadDir(s.ContainersDir())
	if err != nil {
		return nil, fmt.Errorf("gc: list containers: %w", err)
	}
	var out []digest.Digest
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(s.ContainersDir(), e.Name(), snapshotsFile))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("gc: %w", err)
		}
		for _, line := range strings.Fields(string(b)) {
			if d, err := digest.Parse(line); err == nil {
				out = append(out, d)
			}
		}
	}
	return out, nil
}
