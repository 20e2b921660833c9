package tests

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// writeOCILayout writes rootfs as a one-layer OCI image layout in dir, with the given image
// config (entrypoint, cmd, env...), for `minictr load`. Written here with the standard library
// so the tests do not depend on the code under test to make their input.
func writeOCILayout(t *testing.T, dir, rootfs string, config map[string]any) {
	t.Helper()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	// The layer: a gzip'd tar of rootfs.
	layerTmp := filepath.Join(dir, "layer.tmp")
	lf, err := os.Create(layerTmp)
	if err != nil {
		t.Fatal(err)
	}
	gzHash, diffHash := sha256.New(), sha256.New()
	gz := gzip.NewWriter(io.MultiWriter(lf, gzHash))
	tw := tar.NewWriter(io.MultiWriter(gz, diffHash))
	err = filepath.WalkDir(rootfs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == rootfs {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rootfs, path)
		h.Name = rel
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err == nil {
		err = lf.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	layerDigest := hex.EncodeToString(gzHash.Sum(nil))
	st, _ := os.Stat(layerTmp)
	if err := os.Rename(layerTmp, filepath.Join(blobs, layerDigest)); err != nil {
		t.Fatal(err)
	}
	put := func(v any) (string, int) {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		d := hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(blobs, d), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return d, len(data)
	}
	cfgDigest, cfgSize := put(map[string]any{
		"architecture": "amd64", "os": "linux", "config": config,
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diffHash.Sum(nil))}},
	})
	manDigest, manSize := put(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cfgDigest, "size": cfgSize},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + layerDigest, "size": st.Size()}},
	})
	index := map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + manDigest, "size": manSize,
		"annotations": map[string]string{"org.opencontainers.image.ref.name": "latest"},
	}}}
	data, _ := json.Marshal(index)
	os.WriteFile(filepath.Join(dir, "index.json"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// imageEnv is a store holding the test image "probe-img" (the harness's busybox + probe rootfs).
type imageEnv struct {
	*env
	store string
}

func newImageEnv(t *testing.T) *imageEnv {
	e := newEnv(t)
	dir := t.TempDir()
	ie := &imageEnv{env: e, store: filepath.Join(dir, "store")}
	layout := filepath.Join(dir, "layout")
	writeOCILayout(t, layout, baseRootfs, map[string]any{
		"Cmd": []string{"/bin/probe", "print", "default command"},
		"Env": []string{"PATH=/bin", "IMAGE_VAR=from-image", "GODEBUG=containermaxprocs=0,updatemaxprocs=0"},
	})
	e.mustRun("load", "--store", ie.store, "--name", "probe-img", "-i", layout)
	return ie
}

// runImage runs `minictr run --store S ARGS...`.
func (ie *imageEnv) runImage(args ...string) result {
	ie.t.Helper()
	return ie.run(append([]string{"run", "--store", ie.store}, args...)...)
}
