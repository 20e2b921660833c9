package initramfs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// InitBinaryName is the file name of the static init next to the minictr binary
// (make build puts bin/minictr-init beside bin/minictr).
const InitBinaryName = "minictr-init"

// FindInit returns the static init: $MINICTR_INIT, or minictr-init next to the running
// executable.
func FindInit() (string, error) {
	if p := os.Getenv("MINICTR_INIT"); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", InitBinaryName, err)
	}
	p := filepath.Join(filepath.Dir(exe), InitBinaryName)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("find %s: %w (build it with make build, or set MINICTR_INIT)", InitBinaryName, err)
	}
	return p, nil
}

// BuildInit compiles the init from source with the Go toolchain (static: CGO_ENABLED=0), for
// tests and development trees. moduleDir is the minictr module's root.
func BuildInit(ctx context.Context, moduleDir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./vmm/initramfs/init")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: go build ./vmm/initramfs/init: %w: %s", InitBinaryName, err, b)
	}
	return nil
}
