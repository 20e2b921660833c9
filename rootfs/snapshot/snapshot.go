// Package snapshot keeps image layers unpacked, once each, in their own directories, and
// gives containers an overlay mount of them.
//
// A snapshot is named by the chain ID of the layer stack it completes (the digest that names
// layers 0..i applied in order), lives in DIR/<alg>-<hex>/fs, and holds only that layer's
// files, with whiteouts in overlay form (0/0 character devices, trusted.overlay.opaque=y): the
// stack of snapshots is then a valid list of overlay lowerdirs. A snapshot is unpacked into a
// temp directory beside it and renamed into place when complete, so a half-unpacked layer is
// never used, and two processes preparing the same image at once both end with one copy.
//
// Where overlay cannot be mounted (no overlay filesystem, a user namespace without it, a
// store on a filesystem overlay does not take as upper), ApplyFlat applies the layers into a
// private directory instead.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	digest "github.com/opencontainers/go-digest"

	"github.com/minictr/minictr/image/manifest"
	"github.com/minictr/minictr/image/unpack"
)

// Layer is one layer to unpack.
type Layer struct {
	DiffID digest.Digest                 // digest of the uncompressed tar (checked while unpacking)
	Open   func() (io.ReadCloser, error) // the (compressed) blob
}

// Snapshotter manages the snapshots in Dir.
type Snapshotter struct {
	Dir string
}

// New returns a snapshotter for dir (created if missing).
func New(dir string) (*Snapshotter, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("snapshots: create %s: %w", dir, err)
	}
	return &Snapshotter{Dir: dir}, nil
}

func (s *Snapshotter) dir(chain digest.Digest) string {
	return filepath.Join(s.Dir, chain.Algorithm().String()+"-"+chain.Encoded())
}

// Path is the directory holding the files of snapshot chain.
func (s *Snapshotter) Path(chain digest.Digest) string { return filepath.Join(s.dir(chain), "fs") }

// Exists says whether snapshot chain is complete.
func (s *Snapshotter) Exists(chain digest.Digest) bool {
	fi, err := os.Stat(s.Path(chain))
	return err == nil && fi.IsDir()
}

// Prepare makes sure the snapshot of each prefix of layers exists, unpacking the missing ones
// (up to parallel at a time), and returns their directories, bottom layer first.
func (s *Snapshotter) Prepare(ctx context.Context, layers []Layer, parallel int) ([]string, error) {
	if parallel < 1 {
		parallel = 1
	}
	diffIDs := make([]digest.Digest, len(layers))
	for i, l := range layers {
		if err := l.DiffID.Validate(); err != nil {
			return nil, fmt.Errorf("prepare snapshots: layer %d: diff ID %q: %w", i, l.DiffID, err)
		}
		diffIDs[i] = l.DiffID
	}
	chains := manifest.ChainIDs(diffIDs)
	paths := make([]string, len(layers))
	done := make([]chan struct{}, len(layers))
	errs := make([]error, len(layers))
	for i := range layers {
		paths[i] = s.Path(chains[i])
		done[i] = make(chan struct{})
	}
	// waitBelow waits for layers 0..i-1 and fails if one of them did.
	waitBelow := func(i int) error {
		for j := i - 1; j >= 0; j-- {
			select {
			case <-done[j]:
			case <-ctx.Done():
				return ctx.Err()
			}
			if errs[j] != nil {
				return fmt.Errorf("layer %d failed", j)
			}
		}
		return nil
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, l := range layers {
		if s.Exists(chains[i]) {
			close(done[i])
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			lowers := make([]string, i)
			for j := 0; j < i; j++ {
				lowers[j] = paths[i-1-j] // topmost first
			}
			// While waiting for the layers below, give the slot up: they may need it.
			wait := func() error {
				<-sem
				err := waitBelow(i)
				sem <- struct{}{}
				return err
			}
			errs[i] = s.unpackOne(ctx, chains[i], l, lowers, wait)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("prepare snapshot of layer %d (%s): %w", i, layers[i].DiffID, err)
		}
	}
	return paths, nil
}

func (s *Snapshotter) unpackOne(ctx context.Context, chain digest.Digest, l Layer, lowers []string, wait func() error) error {
	tmp, err := os.MkdirTemp(s.Dir, ".tmp-"+chain.Encoded()[:12]+"-")
	if err != nil {
		return fmt.Errorf("create temp snapshot: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	fs := filepath.Join(tmp, "fs")
	if err := os.Mkdir(fs, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", fs, err)
	}
	rc, err := l.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := unpack.ApplyLayer(ctx, fs, rc, l.DiffID, unpack.Options{Whiteouts: unpack.OverlayWhiteouts, Lowers: lowers, WaitLowers: wait}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "diffid"), []byte(l.DiffID.String()+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s/diffid: %w", tmp, err)
	}
	final := s.dir(chain)
	if err := os.Rename(tmp, final); err != nil {
		if s.Exists(chain) {
			return nil // prepared by a concurrent process
		}
		return fmt.Errorf("commit snapshot: rename %s to %s: %w", tmp, final, err)
	}
	committed = true
	return nil
}

// List returns the chain IDs of the snapshots present.
func (s *Snapshotter) List() ([]digest.Digest, error) {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("list snapshots in %s: %w", s.Dir, err)
	}
	var out []digest.Digest
	for _, e := range ents {
		alg, hex, ok := strings.Cut(e.Name(), "-")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		d := digest.NewDigestFromEncoded(digest.Algorithm(alg), hex)
		if d.Validate() == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// Remove deletes snapshot chain.
func (s *Snapshotter) Remove(chain digest.Digest) error {
	if err := chain.Validate(); err != nil {
		return fmt.Errorf("remove snapshot %q: %w", chain, err)
	}
	// Rename first so that a half-removed snapshot never looks complete.
	tmp := filepath.Join(s.Dir, ".rm-"+chain.Encoded())
	if err := os.Rename(s.dir(chain), tmp); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove snapshot %s: %w", chain, err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove snapshot %s: %w", chain, err)
	}
	return nil
}

// RemoveTemps deletes leftovers of interrupted unpacks and removals (call with the store's GC
// lock held exclusively).
func (s *Snapshotter) RemoveTemps() error {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return fmt.Errorf("list snapshots in %s: %w", s.Dir, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), ".rm-") {
			if err := os.RemoveAll(filepath.Join(s.Dir, e.Name())); err != nil {
				return fmt.Errorf("remove %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// ApplyFlat applies layers, in order, into dir (the fallback without overlay).
func ApplyFlat(ctx context.Context, dir string, layers []Layer) error {
	for i, l := range layers {
		rc, err := l.Open()
		if err != nil {
			return fmt.Errorf("apply layer %d: %w", i, err)
		}
		_, err = unpack.ApplyLayer(ctx, dir, rc, l.DiffID, unpack.Options{Whiteouts: unpack.ApplyWhiteouts})
		rc.Close()
		if err != nil {
			return fmt.Errorf("apply layer %d: %w", i, err)
		}
	}
	return nil
}
