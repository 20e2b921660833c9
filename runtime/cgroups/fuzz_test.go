package cgroups

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzResolvePath: any cgroupsPath either errors or stays inside the hierarchy, never at its
// root.
func FuzzResolvePath(f *testing.F) {
	for _, s := range []string{"", "/minictr/x", "../..", "a/../../b", "/", "x:y:z", "//a//b/"} {
		f.Add(s, "id")
	}
	f.Fuzz(func(t *testing.T, p, id string) {
		got, err := resolvePath(p, id)
		if err != nil {
			return
		}
		full := filepath.Join("/sys/fs/cgroup/memory", "/", got)
		escapes := false
		for _, part := range strings.Split(got, "/") {
			escapes = escapes || part == ".." || part == "."
		}
		if !strings.HasPrefix(full, "/sys/fs/cgroup/memory/") || escapes {
			t.Fatalf("resolvePath(%q) = %q escapes: %s", p, got, full)
		}
	})
}

// FuzzResources: any linux.resources JSON converts to writes or to an error, never a panic;
// device rules always compile for v2 when they render for v1.
func FuzzResources(f *testing.F) {
	f.Add(`{"memory":{"limit":16777216,"swap":33554432},"pids":{"limit":20}}`)
	f.Add(`{"cpu":{"shares":1024,"quota":-1,"period":100000,"cpus":"0"},"unified":{"memory.high":"1"}}`)
	f.Add(`{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3}]}`)
	f.Add(`{"blockIO":{"weight":500,"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1}]}}`)
	f.Fuzz(func(t *testing.T, js string) {
		var r specs.LinuxResources
		if json.Unmarshal([]byte(js), &r) != nil {
			return
		}
		rd := func(string, string) (string, error) { return "", os.ErrNotExist }
		for _, mode := range []Mode{V1, V2} {
			ops, err := resourceOps(mode, &r, rd)
			if err != nil {
				continue
			}
			for _, o := range ops {
				if strings.ContainsAny(o.file, "/\x00") {
					t.Fatalf("op writes outside the cgroup: %+v", o)
				}
			}
		}
		if validateResources(&r) == nil {
			if _, err := deviceProgram(r.Devices); err != nil {
				t.Fatalf("valid rules did not compile: %v", err)
			}
		}
	})
}
