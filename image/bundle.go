package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/rootfs/snapshot"
)

// Files in a container's directory (STORE/containers/ID/).
const (
	snapshotsFile = "snapshots" // chain IDs the rootfs uses, one a line (GC keeps them)
	modeFile      = "rootfs-mode"
)

// Rootfs modes.
const (
	ModeOverlay = "overlay" // rootfs is an overlay mount of the snapshots + upper/work
	ModeCopy    = "copy"    // overlay failed: the layers were applied into rootfs
)

// validID reports whether id matches [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. A loop, not a regexp:
// that one compiles into 128 repeated states (1700 allocations) at every start of the binary,
// the container's init included.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// Bundle is a prepared OCI bundle for a container of an image.
type Bundle struct {
	ID     string
	Dir    string // the bundle: config.json and rootfs/
	Rootfs string // Dir/rootfs
	Mode   string // ModeOverlay or ModeCopy
	Image  *Image
}

// PrepareBundle makes a bundle for container id from image ref (in the store): the layers'
// snapshots (unpacked once, shared by every container of the image), an overlay mount of them
// with the container's own upper and work directories at STORE/containers/ID/rootfs (or, where
// overlay cannot be mounted, a private copy), and config.json generated from the image config
// and opts. It returns the bundle and the matching cleanup, which unmounts and removes
// everything and may be called more than once.
func PrepareBundle(ctx context.Context, s *store.Store, ref, id string, opts RunOptions) (*Bundle, func() error, error) {
	if !validID(id) {
		return nil, nil, fmt.Errorf("prepare bundle: container id %q: expected [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 characters", id)
	}
	img, err := Resolve(s, ref, opts.Platform)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare bundle for %s: %w", id, err)
	}
	release, err := s.Use()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	dir := filepath.Join(s.ContainersDir(), id)
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, nil, fmt.Errorf("prepare bundle: container %s already has a directory %s (remove it with its cleanup, or pick another id)", id, dir)
		}
		return nil, nil, fmt.Errorf("prepare bundle for %s: %w", id, err)
	}
	cleanup := func() error { return CleanupBundle(s, id) }
	b := &Bundle{ID: id, Dir: dir, Rootfs: filepath.Join(dir, "rootfs"), Image: img}
	fail := func(err error) (*Bundle, func() error, error) {
		cleanup()
		return nil, nil, fmt.Errorf("prepare bundle for %s (image %s): %w", id, ref, err)
	}
	// Record the snapshots before making them: a GC that runs after we release the lock keeps
	// them.
	var chains []string
	for _, c := range img.ChainIDs {
		chains = append(chains, c.String())
	}
	if err := writeFile(filepath.Join(dir, snapshotsFile), []byte(strings.Join(chains, "\n")+"\n")); err != nil {
		return fail(err)
	}
	sn, err := Snapshotter(s)
	if err != nil {
		return fail(err)
	}
	lowers, err := sn.Prepare(ctx, img.Layers(s), maxParallel())
	if err != nil {
		return fail(err)
	}
	for _, d := range []string{"rootfs", "upper", "work"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return fail(err)
		}
	}
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	if len(lowers) > 0 {
		copyRootAttrs(lowers[len(lowers)-1], upper)
	}
	b.Mode = ModeOverlay
	if len(lowers) == 0 || os.Getenv("MINICTR_NO_OVERLAY") != "" || snapshot.MountOverlay(b.Rootfs, lowers, upper, work) != nil {
		// Fallback: a private copy of the layers.
		b.Mode = ModeCopy
		if err := snapshot.ApplyFlat(ctx, b.Rootfs, img.Layers(s)); err != nil {
			return fail(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, modeFile), []byte(b.Mode+"\n"), 0o644); err != nil {
		return fail(err)
	}
	if opts.Hostname == "" {
		opts.Hostname = id
	}
	sp, err := SpecFromConfig(img.Config.Config, b.Rootfs, opts)
	if err != nil {
		return fail(err)
	}
	sp.Annotations[AnnotationImage] = img.Name
	cfg, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return fail(fmt.Errorf("encode config.json: %w", err))
	}
	if err := writeFile(filepath.Join(dir, "config.json"), cfg); err != nil {
		return fail(err)
	}
	return b, cleanup, nil
}

// writeFile writes a file of the container's directory through a temp file and a rename,
// without fsync: the directory does not outlive a crash of the host in any useful way (the
// container is gone), and fsync costs milliseconds on every start.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func maxParallel() int {
	n := 2
	if v := os.Getenv("MINICTR_UNPACK_PARALLEL"); v != "" {
		fmt.Sscan(v, &n)
	}
	return n
}

// copyRootAttrs gives the upper dir the top layer's root mode and owner (the merged root takes
// the upper's).
func copyRootAttrs(from, to string) {
	var st unix.Stat_t
	if unix.Stat(from, &st) == nil {
		unix.Chown(to, int(st.Uid), int(st.Gid))
		unix.Chmod(to, st.Mode&0o7777)
	}
}

// CleanupBundle unmounts and removes container id's directory; it is a no-op when there is
// nothing to remove.
func CleanupBundle(s *store.Store, id string) error {
	if !validID(id) {
		return fmt.Errorf("cleanup bundle: container id %q is not valid", id)
	}
	dir := filepath.Join(s.ContainersDir(), id)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := snapshot.Unmount(rootfs); err != nil {
		return fmt.Errorf("cleanup bundle %s: %w", id, err)
	}
	// Never remove through a mount that is still there.
	var a, b unix.Stat_t
	if unix.Lstat(rootfs, &a) == nil && unix.Lstat(dir, &b) == nil && a.Dev != b.Dev {
		return fmt.Errorf("cleanup bundle %s: %s is still a mount point", id, rootfs)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("cleanup bundle %s: remove %s: %w", id, dir, err)
	}
	return nil
}

// PrepareBundleIn is PrepareBundle for a store given by its directory ("" = $MINICTR_STORE or
// /var/lib/minictr); it returns the bundle directory (config.json + rootfs/).
func PrepareBundleIn(ctx context.Context, storeDir, ref, id string, opts RunOptions) (string, func() error, error) {
	s, err := store.Open(storeDir)
	if err != nil {
		return "", nil, err
	}
	b, cleanup, err := PrepareBundle(ctx, s, ref, id, opts)
	if err != nil {
		return "", nil, err
	}
	return b.Dir, cleanup, nil
}

// CleanupBundleIn is CleanupBundle for a store given by its directory (for `delete` of a
// detached container, where only the id is left).
func CleanupBundleIn(storeDir, id string) error {
	s, err := store.Open(storeDir)
	if err != nil {
		return err
	}
	return CleanupBundle(s, id)
}
