package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/minictr/minictr/runtime"
	rspec "github.com/minictr/minictr/runtime/spec"
)

func init() {
	register(&command{Name: "spec", Summary: "write a default config.json (like runc spec)", Run: cmdSpec})
	register(&command{Name: "features", Summary: "print the features this runtime supports (JSON)", Run: cmdFeatures})
}

func cmdSpec(_ *Globals, args []string) error {
	fs := newFlags("spec")
	bundle := fs.StringP("bundle", "b", ".", "write config.json into this directory")
	rootless := fs.Bool("rootless", false, "a config for an unprivileged user (user namespace)")
	if _, err := parse(fs, args, 0, 0, "[--bundle DIR] [--rootless]"); err != nil {
		return err
	}
	s := rspec.Default()
	if *rootless {
		rspec.MakeRootless(s, uint32(os.Getuid()), uint32(os.Getgid()))
	}
	path := filepath.Join(*bundle, rspec.ConfigName)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("spec: %s already exists (remove it first)", path)
	}
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func cmdFeatures(_ *Globals, args []string) error {
	if _, err := parse(newFlags("features"), args, 0, 0, ""); err != nil {
		return err
	}
	return printJSON(runtime.Features())
}
