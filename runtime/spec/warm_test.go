package spec

import (
	"encoding/json"
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
	for args, want := range map[string]bool{
		"--root /r state x": false, "--debug run -b b x": true, "--root run state x": false,
		"vm run prog.go": false, "--log-format json create -b b x": true, "exec x ls": true, "": false,
	} {
		if got := readsSpec(strings.Fields(args)); got != want {
			t.Errorf("readsSpec(%q) = %v, want %v", args, got, want)
		}
	}
}
