//go:build lean

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/minictr/minictr/runtime"
)

// The lean build has no image layer: a container that run IMAGE made is released, after the
// delete, by the full minictr beside this binary (`release-image-container`). Containers of a
// bundle, the engines' and run -b's, need nothing more.
func init() {
	afterDeleteHooks = append(afterDeleteHooks, func(g *Globals, st *runtime.State) error {
		store := st.Annotations[annStore]
		if store == "" {
			return nil
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("release container %s: find this binary: %w", st.ID, err)
		}
		full := filepath.Join(filepath.Dir(exe), "minictr")
		cmd := exec.Command(full, releaseCommand, store, st.Annotations[annNetwork], st.ID)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("release what run IMAGE set up for container %s (store %s): %s %s: %w", st.ID, store, full, releaseCommand, err)
		}
		return nil
	})
}
