package rootfs

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	cases := []struct {
		name string
		opts []string
		want mountOpts
	}{
		{"empty", nil, mountOpts{}},
		{"runc /dev tmpfs", []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			mountOpts{flags: unix.MS_NOSUID | unix.MS_STRICTATIME, data: "mode=755,size=65536k"}},
		{"devpts", []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
			mountOpts{flags: unix.MS_NOSUID | unix.MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620,gid=5"}},
		{"ro bind", []string{"bind", "ro", "nodev"}, mountOpts{flags: unix.MS_BIND | unix.MS_RDONLY | unix.MS_NODEV}},
		{"rbind", []string{"rbind"}, mountOpts{flags: unix.MS_BIND | unix.MS_REC}},
		{"rw clears ro", []string{"ro", "rw"}, mountOpts{}},
		{"later wins", []string{"rw", "ro"}, mountOpts{flags: unix.MS_RDONLY}},
		{"clearing forms", []string{"nosuid", "nodev", "noexec", "suid", "dev", "exec"}, mountOpts{}},
		{"atime", []string{"noatime", "atime", "relatime", "nodiratime"}, mountOpts{flags: unix.MS_RELATIME | unix.MS_NODIRATIME}},
		{"defaults and empty", []string{"defaults", ""}, mountOpts{}},
		{"misc flags", []string{"sync", "dirsync", "mand", "remount", "nosymfollow", "lazytime", "silent"},
			mountOpts{flags: unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_MANDLOCK | unix.MS_REMOUNT | unix.MS_NOSYMFOLLOW | unix.MS_LAZYTIME | unix.MS_SILENT}},
		{"propagation in order", []string{"rbind", "rslave", "shared", "runbindable", "private", "rprivate", "slave", "rshared", "unbindable"},
			mountOpts{flags: unix.MS_BIND | unix.MS_REC, propagation: []uintptr{
				unix.MS_SLAVE | unix.MS_REC, unix.MS_SHARED, unix.MS_UNBINDABLE | unix.MS_REC, unix.MS_PRIVATE,
				unix.MS_PRIVATE | unix.MS_REC, unix.MS_SLAVE, unix.MS_SHARED | unix.MS_REC, unix.MS_UNBINDABLE}}},
		{"recursive ro", []string{"rbind", "rro", "rnosuid"},
			mountOpts{flags: unix.MS_BIND | unix.MS_REC, recAttrSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID}},
		{"recursive rw clears", []string{"rro", "rrw", "rnodev", "rdev", "rnoexec", "rexec", "rsuid", "rnodiratime", "rdiratime", "rnosymfollow", "rsymfollow"},
			mountOpts{recAttrClr: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW}},
		{"recursive atime is a field", []string{"rnoatime"},
			mountOpts{recAttrSet: unix.MOUNT_ATTR_NOATIME, recAttrClr: unix.MOUNT_ATTR__ATIME}},
		{"recursive atime replaced", []string{"rnoatime", "rstrictatime"},
			mountOpts{recAttrSet: unix.MOUNT_ATTR_STRICTATIME, recAttrClr: unix.MOUNT_ATTR__ATIME}},
		{"rrelatime", []string{"rnoatime", "rrelatime"},
			mountOpts{recAttrSet: unix.MOUNT_ATTR_RELATIME, recAttrClr: unix.MOUNT_ATTR__ATIME}},
		{"tmpcopyup", []string{"tmpcopyup", "mode=1777"}, mountOpts{tmpcopyup: true, data: "mode=1777"}},
		{"unknown is data", []string{"lowerdir=/a:/b", "upperdir=/u", "context=\"x,y\""},
			mountOpts{data: "lowerdir=/a:/b,upperdir=/u,context=\"x,y\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseMountOptions(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("parseMountOptions(%q)\n got  %+v\n want %+v", c.opts, *got, c.want)
			}
		})
	}
}

func TestParseMountOptionsRefusesIdmap(t *testing.T) {
	for _, o := range []string{"idmap", "ridmap"} {
		if _, err := parseMountOptions([]string{"bind", o}); err == nil {
			t.Errorf("%s: accepted, want an error", o)
		}
	}
}

// Every table entry must name a distinct option: a name in two tables would be parsed by the
// first only.
func TestMountOptionTablesDisjoint(t *testing.T) {
	seen := map[string]string{}
	add := func(table, name string) {
		if prev, ok := seen[name]; ok {
			t.Errorf("option %q in both %s and %s", name, prev, table)
		}
		seen[name] = table
	}
	for k := range flagTable {
		add("flagTable", k)
	}
	for k := range propagationTable {
		add("propagationTable", k)
	}
	for k := range recAttrTable {
		add("recAttrTable", k)
	}
	for k, f := range flagTable {
		if f.flag&(unix.MS_SHARED|unix.MS_SLAVE|unix.MS_PRIVATE|unix.MS_UNBINDABLE) != 0 {
			t.Errorf("flagTable %q carries a propagation flag", k)
		}
	}
}

func FuzzParseMountOptions(f *testing.F) {
	f.Add("rbind,ro,rslave,mode=755")
	f.Fuzz(func(t *testing.T, s string) {
		var opts []string
		start := 0
		for i := 0; i <= len(s); i++ {
			if i == len(s) || s[i] == ',' {
				opts = append(opts, s[start:i])
				start = i + 1
			}
		}
		parseMountOptions(opts) // must not panic
	})
}
