package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestSkeletonCoversSpec: the warm-up skeleton decodes into a Spec without error and reaches
// the nested structs a bundle's config uses, under their JSON names.
func TestSkeletonCoversSpec(t *testing.T) {
	data, err := json.Marshal(skeleton(reflect.TypeFor[specs.Spec](), map[reflect.Type]bool{}))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("skeleton does not decode into a Spec: %v", err)
	}
	if s.Process == nil || s.Process.Capabilities == nil || s.Process.User.AdditionalGids != nil {
		t.Fatalf("process part missing: %+v", s.Process)
	}
	if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.Memory == nil || len(s.Linux.Namespaces) != 1 {
		t.Fatalf("linux part missing: %+v", s.Linux)
	}
	if len(s.Mounts) != 1 || s.Hooks == nil || len(s.Hooks.Prestart) != 1 {
		t.Fatalf("mounts or hooks missing: %s", data)
	}
	if !strings.Contains(string(data), `"seccomp":{"syscalls":[{"args":[{}]}]`) {
		t.Fatalf("seccomp part missing or misnamed: %s", data)
	}
	for args, want := range map[string]string{
		"--root /r state x": "state", "--debug run -b b x": "run", "--root run state x": "state",
		"vm run prog.go": "vm", "--log-format json create -b b x": "create", "exec x ls": "exec", "": "",
	} {
		if got, _ := CommandOf(strings.Fields(args)); got != want {
			t.Errorf("CommandOf(%q) = %q, want %q", args, got, want)
		}
	}
	for args, want := range map[string]string{
		"-b b x": "b", "-bb2 x": "b2", "--bundle=b3 x": "b3", "--bundle b4 x": "b4", "x": ".",
		"--pid-file p x": ".", "-- -b y": ".", "--detach -b b5 x": "b5",
	} {
		if got := bundleArg(strings.Fields(args)); got != want {
			t.Errorf("bundleArg(%q) = %q, want %q", args, got, want)
		}
	}
}

// A prefetched config is what the first Load of the same bundle returns; later loads read
// the file again; a failed prefetch leaves Load to report the error itself.
func TestPrefetchTakenOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `{"ociVersion":"1.0.2","process":{"args":["/bin/true"],"cwd":"/"},"root":{"path":"rootfs"}}`
	if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	prefetch(dir)
	s1, data, err := LoadBytes(dir)
	if err != nil || string(data) != cfg {
		t.Fatalf("load: %v %q", err, data)
	}
	if s1 != pre.spec {
		t.Fatal("the first load did not take the prefetched config")
	}
	s2, _, err := LoadBytes(dir)
	if err != nil || s2 == s1 || !reflect.DeepEqual(s1, s2) {
		t.Fatalf("second load: %v (same pointer: %v)", err, s2 == s1)
	}

	missing := t.TempDir()
	pre.taken.Store(false)
	prefetch(missing)
	if _, _, err := LoadBytes(missing); err == nil || !strings.Contains(err.Error(), "no config.json") {
		t.Fatalf("missing config: %v", err)
	}
}
