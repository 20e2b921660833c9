package initramfs

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ConfigPath is where the init reads the command to run (inside the initramfs).
const ConfigPath = ".minictr/config.json"

// Config is the command that the init runs, as JSON at ConfigPath.
type Config struct {
	Args []string `json:"args"`
	Env  []string `json:"env,omitempty"`
	Dir  string   `json:"dir,omitempty"`
	// Hostname of the guest (empty: "minictr").
	Hostname string `json:"hostname,omitempty"`
}

// Build writes an initramfs to w: every file of rootfsDir (symlinks kept as symlinks, device
// nodes and sockets skipped: the init mounts devtmpfs), then /dev/console (the kernel opens
// it for the init's standard streams before /dev is mounted), initBinary as /init, and the
// command at ConfigPath. rootfsDir may be empty for an initramfs of just the init.
func Build(w io.Writer, rootfsDir string, initBinary []byte, cmd []string, env []string) error {
	return BuildConfig(w, rootfsDir, initBinary, Config{Args: cmd, Env: env})
}

// BuildConfig is Build with the whole Config.
func BuildConfig(w io.Writer, rootfsDir string, initBinary []byte, cfg Config) error {
	if len(cfg.Args) == 0 {
		return fmt.Errorf("build initramfs: no command")
	}
	if len(initBinary) < 4 || string(initBinary[:4]) != "\x7fELF" {
		return fmt.Errorf("build initramfs: init binary is not an ELF executable")
	}
	cw := NewWriter(w)
	have := map[string]bool{}
	if rootfsDir != "" {
		if err := addTree(cw, rootfsDir, have); err != nil {
			return err
		}
	}
	for _, d := range []string{"dev", "proc", "sys", "tmp", "run", ".minictr"} {
		if !have[d] {
			if err := cw.WriteEntry(Header{Name: d, Mode: ModeDir | 0o755}, nil); err != nil {
				return err
			}
		}
	}
	if err := cw.WriteEntry(Header{Name: "dev/console", Mode: ModeChar | 0o600, RdevMajor: 5, RdevMinor: 1}, nil); err != nil {
		return err
	}
	if err := cw.WriteEntry(Header{Name: "init", Mode: ModeRegular | 0o755}, initBinary); err != nil {
		return err
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := cw.WriteEntry(Header{Name: ConfigPath, Mode: ModeRegular | 0o644}, js); err != nil {
		return err
	}
	return cw.Close()
}

// addTree archives a directory tree in lexical order (parents before children).
func addTree(cw *Writer, root string, have map[string]bool) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("build initramfs: walk %s: %w", path, err)
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "init" || rel == ".minictr" || strings.HasPrefix(rel, ".minictr/") || rel == "dev/console" {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil // ours
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("build initramfs: stat %s: %w", path, err)
		}
		h := Header{Name: rel, Mode: uint32(info.Mode().Perm())}
		if info.Mode()&fs.ModeSetuid != 0 {
			h.Mode |= 0o4000
		}
		if info.Mode()&fs.ModeSetgid != 0 {
			h.Mode |= 0o2000
		}
		if info.Mode()&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			h.UID, h.GID, h.Mtime = st.Uid, st.Gid, uint32(st.Mtim.Sec)
		}
		var data []byte
		switch t := info.Mode().Type(); {
		case t == 0:
			h.Mode |= ModeRegular
			if data, err = os.ReadFile(path); err != nil {
				return fmt.Errorf("build initramfs: %w", err)
			}
		case t == fs.ModeDir:
			h.Mode |= ModeDir
		case t == fs.ModeSymlink:
			h.Mode |= ModeSymlink
			target, err := os.Readlink(path)
			if err != nil {
				return fmt.Errorf("build initramfs: %w", err)
			}
			data = []byte(target)
		default:
			return nil // devices, sockets, fifos: the guest's devtmpfs provides /dev
		}
		have[rel] = true
		return cw.WriteEntry(h, data)
	})
}
