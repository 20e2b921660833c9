package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\napp:x:1001:\nwheel:x:10:app,other\nstaff:x:50:\n"), 0o644)
	cases := []struct {
		in        string
		uid, gid  uint32
		extra     []uint32
		home      string
		wantError bool
	}{
		{in: "app", uid: 1000, gid: 1001, extra: []uint32{10}, home: "/home/app"},
		{in: "1000", uid: 1000, gid: 1001, extra: []uint32{10}, home: "/home/app"},
		{in: "app:staff", uid: 1000, gid: 50, extra: []uint32{10}, home: "/home/app"},
		{in: "4242", uid: 4242, gid: 0},
		{in: "4242:7", uid: 4242, gid: 7},
		{in: "nobody", wantError: true},
		{in: "app:nogroup", wantError: true},
		{in: ":1", wantError: true},
	}
	for _, c := range cases {
		u, home, err := ResolveUser(root, c.in)
		if c.wantError {
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
			continue
		}
		if err != nil || u.UID != c.uid || u.GID != c.gid || home != c.home || len(u.AdditionalGids) != len(c.extra) {
			t.Errorf("%q = %+v %q %v", c.in, u, home, err)
		}
	}
	// /etc/passwd as a symlink pointing out of the rootfs is resolved inside it.
	root2 := t.TempDir()
	os.MkdirAll(filepath.Join(root2, "etc"), 0o755)
	os.Symlink("/etc/shadow-host-file", filepath.Join(root2, "etc/passwd"))
	if _, _, err := ResolveUser(root2, "root"); err == nil {
		t.Error("user found through a symlink out of the rootfs")
	}
}

func TestSpecFromConfig(t *testing.T) {
	cfg := ocispec.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"a", "b"}, Env: []string{"A=1", "B=2"}}
	s, err := SpecFromConfig(cfg, "/r", RunOptions{Args: []string{"c"}, Env: []string{"B=3", "C=4"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Process.Args, " "); got != "/entry c" {
		t.Errorf("args %q", got)
	}
	env := strings.Join(s.Process.Env, " ")
	if !strings.Contains(env, "A=1") || !strings.Contains(env, "B=3") || strings.Contains(env, "B=2") || !strings.Contains(env, "PATH=") {
		t.Errorf("env %q", env)
	}
	if s.Process.Terminal || s.Root.Path != "/r" || s.Root.Readonly {
		t.Errorf("terminal %v root %+v", s.Process.Terminal, s.Root)
	}
	empty := []string{}
	s, _ = SpecFromConfig(cfg, "/r", RunOptions{Entrypoint: &empty, Args: []string{"sh"}})
	if strings.Join(s.Process.Args, " ") != "sh" {
		t.Errorf("entrypoint override: %q", s.Process.Args)
	}
	if _, err := SpecFromConfig(ocispec.ImageConfig{}, "/r", RunOptions{}); err == nil {
		t.Error("no command: no error")
	}
	host := t.TempDir()
	s, err = SpecFromConfig(cfg, "/r", RunOptions{Mounts: []string{host + ":/mnt:ro"}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	last := s.Mounts[len(s.Mounts)-1]
	if last.Destination != "/mnt" || last.Source != host || strings.Join(last.Options, ",") != "rbind,ro" || !s.Root.Readonly {
		t.Errorf("mount %+v readonly %v", last, s.Root.Readonly)
	}
	for _, bad := range []string{"x", host + ":rel", host + ":/m:bogus"} {
		if _, err := ParseVolume(bad); err == nil {
			t.Errorf("-v %q accepted", bad)
		}
	}
}
