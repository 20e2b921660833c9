package runtime

import (
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minictr/minictr/runtime/caps"
	"github.com/minictr/minictr/runtime/seccomp"
)

// dropBounding cuts the bounding set to the spec's; a spec without capabilities keeps all.
func dropBounding(c *specs.LinuxCapabilities) error {
	warnings, err := caps.DropBounding(c)
	for _, w := range warnings {
		slog.Warn(w)
	}
	return err
}

// applyCapabilities sets the effective, permitted, inheritable and ambient sets.
func applyCapabilities(c *specs.LinuxCapabilities) error {
	_, err := caps.SetProcess(c)
	return err
}

// loadSeccomp installs the spec's filter; unknown syscall names are warnings, as in runc.
func loadSeccomp(s *specs.LinuxSeccomp) error {
	_, warnings, err := seccomp.Load(s)
	for _, w := range warnings {
		slog.Warn(w)
	}
	return err
}
