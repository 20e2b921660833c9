package rootfs

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	in := `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 27 0:40 /sub /mnt/with\040space rw master:3 propagate_from:2 - tmpfs tmpfs rw,size=4k
`
	got, err := parseMountinfo(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []mountInfo{
		{ID: 22, Parent: 27, Root: "/", Mountpoint: "/proc", Options: "rw,relatime", Optional: []string{}, FSType: "proc", Source: "proc", Super: "rw"},
		{ID: 27, Parent: 1, Root: "/", Mountpoint: "/", Options: "rw,relatime", Optional: []string{"shared:1"}, FSType: "ext4", Source: "/dev/vda", Super: "rw,discard"},
		{ID: 41, Parent: 31, Root: "/", Mountpoint: "/sys/fs/cgroup/unified", Options: "rw,relatime", Optional: []string{}, FSType: "cgroup2", Source: "cgroup2", Super: "rw"},
		{ID: 50, Parent: 27, Root: "/sub", Mountpoint: "/mnt/with space", Options: "rw", Optional: []string{"master:3", "propagate_from:2"}, FSType: "tmpfs", Source: "tmpfs", Super: "rw,size=4k"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if !got[1].shared() || got[0].shared() || got[3].shared() {
		t.Error("shared() wrong")
	}
	if m := holdingMount(got, "/mnt/with space/rootfs"); m == nil || m.ID != 50 {
		t.Errorf("holdingMount = %+v, want id 50", m)
	}
	if m := holdingMount(got, "/procfoo/x"); m == nil || m.ID != 27 {
		t.Errorf("holdingMount(/procfoo/x) = %+v, want id 27 (/)", m)
	}
	for _, bad := range []string{"1 2 3\n", "x 1 0:1 / / rw - ext4 a b\n", "1 1 0:1 / / rw ext4 a b\n"} {
		if _, err := parseMountinfo(strings.NewReader(bad)); err == nil {
			t.Errorf("parseMountinfo(%q): no error", bad)
		}
	}
}

func TestCgroupPathFor(t *testing.T) {
	lines := []cgroupLine{
		{controllers: []string{"cpu", "cpuacct"}, path: "/a"},
		{controllers: []string{"memory"}, path: "/m"},
		{controllers: []string{"name=systemd"}, path: "/s"},
		{path: "/u"},
	}
	for _, c := range []struct{ fstype, super, want string }{
		{"cgroup", "rw,cpu,cpuacct", "/a"},
		{"cgroup", "rw,memory", "/m"},
		{"cgroup", "rw,name=systemd", "/s"},
		{"cgroup2", "rw", "/u"},
	} {
		if got, ok := cgroupPathFor(lines, c.fstype, c.super); !ok || got != c.want {
			t.Errorf("cgroupPathFor(%s %s) = %q %v, want %q", c.fstype, c.super, got, ok, c.want)
		}
	}
	if _, ok := cgroupPathFor(lines, "cgroup", "rw,pids"); ok {
		t.Error("pids matched no line but was found")
	}
	if got := cgroupControllerOpts("rw,cpu,cpuacct,clone_children,release_agent=/x"); got != "cpu,cpuacct" {
		t.Errorf("cgroupControllerOpts = %q", got)
	}
}
