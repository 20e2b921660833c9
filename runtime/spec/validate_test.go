package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	bundle := t.TempDir()
	os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755)
	cases := []struct {
		name   string
		change func(s *specs.Spec)
		want   string // "" means valid
	}{
		{"default", func(*specs.Spec) {}, ""},
		{"no version", func(s *specs.Spec) { s.Version = "" }, "ociVersion"},
		{"version 2", func(s *specs.Spec) { s.Version = "2.0.0" }, "ociVersion"},
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root.path"},
		{"missing rootfs", func(s *specs.Spec) { s.Root.Path = "nope" }, `root.path "nope"`},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process"},
		{"no args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "tmp" }, "process.cwd"},
		{"bad env", func(s *specs.Spec) { s.Process.Env = []string{"NOEQUALS"} }, "process.env[0]"},
		{"bad rlimit", func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS"}} }, "RLIMIT_BOGUS"},
		{"soft above hard", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2, Hard: 1}}
		}, "soft limit"},
		{"unknown namespace", func(s *specs.Spec) { s.Linux.Namespaces[0].Type = "bogus" }, `"bogus"`},
		{"duplicate namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
		}, "listed twice"},
		{"relative ns path", func(s *specs.Spec) { s.Linux.Namespaces[0].Path = "proc/1/ns/pid" }, "absolute"},
		{"missing ns path", func(s *specs.Spec) { s.Linux.Namespaces[0].Path = "/nonexistent/ns" }, "/nonexistent/ns"},
		{"maps without userns", func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "user namespace"},
		{"userns without maps", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}, "uidMappings"},
		{"hostname without uts", func(s *specs.Spec) {
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}}
		}, "uts"},
		{"relative mount", func(s *specs.Spec) { s.Mounts[0].Destination = "proc" }, "mounts[0].destination"},
		{"relative hook", func(s *specs.Spec) { s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "hook"}}} }, "hooks.prestart[0].path"},
		{"cgroups path dotdot", func(s *specs.Spec) { s.Linux.CgroupsPath = "/a/../../b" }, "cgroupsPath"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Default()
			c.change(s)
			err := Validate(s, bundle)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("no error, want one mentioning %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestParseErrorsNameLine(t *testing.T) {
	_, err := Parse("config.json", []byte("{\n\"ociVersion\": \"1.0.0\",\n\"process\": {\"args\": \"sh\"}\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "args") {
		t.Fatalf("error %v, want line 3 and the field", err)
	}
	_, err = Parse("config.json", []byte("{\n\n  \"ociVersion\": ,\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("syntax error %v, want line 3", err)
	}
}

func TestLoadMissingConfig(t *testing.T) {
	_, err := Load(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("error %v", err)
	}
}
