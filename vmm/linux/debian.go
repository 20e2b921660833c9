package linux

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultKernelCache is where DebianKernel keeps kernels (inside minictr's store).
const DefaultKernelCache = "/var/lib/minictr/kernels"

// DebianMetaPackage is the package whose dependency names the current Debian kernel.
const DebianMetaPackage = "linux-image-amd64"

// KernelFiles is a cached kernel.
type KernelFiles struct {
	Package string // e.g. linux-image-6.1.0-57-amd64
	Dir     string
	Vmlinuz string // the bzImage as Debian ships it
	Vmlinux string // its decompressed ELF: for our VMM (no decompression at each boot) and qemu's PVH boot
}

// DebianKernel returns Debian's current kernel, downloading it on first use with the system's
// package tools ("apt-get download" of the package that linux-image-amd64 depends on, then
// dpkg-deb, keeping only /boot/vmlinuz-*), and caches it under cacheDir/<package>/. Concurrent
// callers are serialized with a lock file. The modules are not kept: our guests need none.
func DebianKernel(ctx context.Context, cacheDir string) (*KernelFiles, error) {
	if cacheDir == "" {
		cacheDir = DefaultKernelCache
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("kernel cache: lock %s: %w", lock.Name(), err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)

	pkg, err := debianKernelPackage(ctx)
	if err != nil {
		return nil, err
	}
	kf := &KernelFiles{Package: pkg, Dir: filepath.Join(cacheDir, pkg)}
	kf.Vmlinuz = filepath.Join(kf.Dir, "vmlinuz")
	kf.Vmlinux = filepath.Join(kf.Dir, "vmlinux")
	if _, err := os.Stat(kf.Vmlinux); err == nil {
		return kf, nil
	}
	tmp, err := os.MkdirTemp(cacheDir, ".fetch-")
	if err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	os.Chmod(tmp, 0o755) // apt-get download drops privileges to _apt where it can
	download := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg)
		cmd.Dir = tmp
		return cmd.CombinedOutput()
	}
	if out, err := download(); err != nil {
		// The package lists may be missing or stale on a fresh machine: refresh once.
		if uout, uerr := exec.CommandContext(ctx, "apt-get", "update", "-qq").CombinedOutput(); uerr != nil {
			return nil, fmt.Errorf("apt-get download %s: %v: %s; apt-get update: %v: %s", pkg, err, bytes.TrimSpace(out), uerr, bytes.TrimSpace(uout))
		}
		if out, err := download(); err != nil {
			return nil, fmt.Errorf("apt-get download %s: %w: %s", pkg, err, bytes.TrimSpace(out))
		}
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("apt-get download %s: found %d .deb files in %s", pkg, len(debs), tmp)
	}
	stage := filepath.Join(tmp, "k")
	if err := os.Mkdir(stage, 0o755); err != nil {
		return nil, err
	}
	if err := extractBoot(ctx, debs[0], filepath.Join(stage, "vmlinuz")); err != nil {
		return nil, err
	}
	if err := ExtractVmlinux(filepath.Join(stage, "vmlinuz"), filepath.Join(stage, "vmlinux")); err != nil {
		return nil, err
	}
	if err := os.Rename(stage, kf.Dir); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	return kf, nil
}

// debianKernelPackage asks apt which versioned package linux-image-amd64 depends on.
func debianKernelPackage(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", DebianMetaPackage).Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %w (is this a Debian system?)", DebianMetaPackage, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("apt-cache depends %s: no linux-image dependency (run apt-get update)", DebianMetaPackage)
}

// extractBoot copies ./boot/vmlinuz-* out of a .deb (dpkg-deb --fsys-tarfile streams its data
// archive as a plain tar).
func extractBoot(ctx context.Context, deb, dst string) error {
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w", deb, err)
	}
	found := false
	tr := tar.NewReader(pipe)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("read %s: %w", deb, err)
		}
		if h.Typeflag == tar.TypeReg && strings.HasPrefix(h.Name, "./boot/vmlinuz-") {
			f, err := os.Create(dst)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, io.LimitReader(tr, MaxKernelSize))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("extract %s from %s: %w", h.Name, deb, err)
			}
			found = true
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w: %s", deb, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if !found {
		return fmt.Errorf("%s has no ./boot/vmlinuz-*", deb)
	}
	return nil
}

// ExtractVmlinux writes the decompressed ELF of a bzImage (or copies a vmlinux) to dst.
func ExtractVmlinux(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	elfData := data
	if IsBzImage(data) {
		bz, err := ParseBzImage(data)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if elfData, err = Decompress(bz.Payload); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
	}
	if _, err := ParseELF(elfData); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, elfData, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
