package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	e := newEnv(t, "exit", "0")
	cases := []struct {
		name   string
		config string // written to config.json; empty keeps the good one
		args   []string
		want   string // in stderr
	}{
		{name: "missing bundle", args: []string{"run", "-b", "/nonexistent/bundle", "x1"}, want: "/nonexistent/bundle"},
		{name: "invalid json", config: `{"ociVersion": "1.0.2", "process": {`, want: "config.json"},
		{name: "wrong type", config: `{"ociVersion": "1.0.2", "process": {"args": "sh"}}`, want: "args"},
		{name: "unknown namespace", config: strings.Replace(readConfig(t, e), `"type": "pid"`, `"type": "bogus"`, 1), want: `"bogus"`},
		{name: "no args", config: withoutArgs(t, e), want: "process.args"},
		{name: "bad id", args: []string{"create", "-b", e.bundle, "../escape"}, want: "container id"},
	}
	good := readConfig(t, e)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			if c.config != "" {
				cfg = c.config
			}
			os.WriteFile(filepath.Join(e.bundle, "config.json"), []byte(cfg), 0o644)
			args := c.args
			if args == nil {
				id := newID(t)
				args = []string{"create", "-b", e.bundle, id}
				t.Cleanup(func() { e.run("delete", "--force", id) })
			}
			r := e.run(args...)
			if r.code == 0 {
				t.Fatalf("minictr %v succeeded", args)
			}
			if !strings.Contains(r.stderr, c.want) || strings.TrimSpace(r.stderr) == "" {
				t.Fatalf("stderr %q, want it to mention %q", r.stderr, c.want)
			}
		})
	}
	os.WriteFile(filepath.Join(e.bundle, "config.json"), []byte(good), 0o644)
	t.Run("duplicate id", func(t *testing.T) {
		e.spec.Process.Args = []string{"/bin/probe", "sleep", "60"}
		e.save()
		id := newID(t)
		e.create(id)
		r := e.run("create", "-b", e.bundle, id)
		if r.code == 0 || !strings.Contains(r.stderr, "already exists") {
			t.Fatalf("duplicate create: exit %d stderr %q", r.code, r.stderr)
		}
	})
	t.Run("start running", func(t *testing.T) {
		id := newID(t)
		e.create(id)
		e.mustRun("start", id)
		if r := e.run("start", id); r.code == 0 {
			t.Fatal("start of a running container succeeded")
		}
	})
}

func readConfig(t *testing.T, e *env) string {
	data, err := os.ReadFile(filepath.Join(e.bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func withoutArgs(t *testing.T, e *env) string {
	args := e.spec.Process.Args
	e.spec.Process.Args = nil
	e.save()
	defer func() { e.spec.Process.Args = args; e.save() }()
	return readConfig(t, e)
}
