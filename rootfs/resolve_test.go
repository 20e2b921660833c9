package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// resolveFixture is a rootfs full of hostile symlinks, next to a "host" directory they aim at.
//
//	host/             a directory outside the root (stands for the host's /etc or /tmp)
//	root/etc/         present in the root
//	root/abs -> /                     root/toetc -> /etc
//	root/up  -> ../../../../<host>    root/hostabs -> <absolute host path>
//	root/loop1 -> loop2, loop2 -> loop1
//	root/self -> /proc/self/root      root/dangling -> /newdir/deeper
func resolveFixture(t *testing.T) (rootDir, hostDir string) {
	t.Helper()
	base := t.TempDir()
	base, _ = filepath.EvalSymlinks(base)
	rootDir = filepath.Join(base, "root")
	hostDir = filepath.Join(base, "host")
	for _, d := range []string{rootDir, hostDir, filepath.Join(rootDir, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"abs":      "/",
		"toetc":    "/etc",
		"up":       "../../../../../../" + strings.TrimPrefix(hostDir, "/"),
		"hostabs":  hostDir,
		"loop1":    "loop2",
		"loop2":    "loop1",
		"self":     "/proc/self/root",
		"dangling": "/newdir/deeper",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(rootDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return rootDir, hostDir
}

// where tells the real path of an open handle.
func where(t *testing.T, f *os.File) string {
	t.Helper()
	p, err := os.Readlink(fdPath(f))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func bothResolvers(t *testing.T, fn func(t *testing.T)) {
	t.Run("openat2", fn)
	t.Run("securejoin", func(t *testing.T) {
		noOpenat2 = true
		defer func() { noOpenat2 = false }()
		fn(t)
	})
}

func TestResolveStaysInRoot(t *testing.T) {
	bothResolvers(t, func(t *testing.T) {
		rootDir, hostDir := resolveFixture(t)
		r, err := openRoot(rootDir)
		if err != nil {
			t.Fatal(err)
		}
		defer r.close()
		ok := []struct{ path, want string }{
			{"/", rootDir},
			{"..", rootDir},
			{"../../../etc", filepath.Join(rootDir, "etc")},
			{"abs", rootDir},
			{"abs/etc", filepath.Join(rootDir, "etc")},
			{"toetc", filepath.Join(rootDir, "etc")},
			{"/abs/../../toetc", filepath.Join(rootDir, "etc")},
		}
		for _, c := range ok {
			f, err := r.open(c.path, 0)
			if err != nil {
				t.Errorf("open %q: %v", c.path, err)
				continue
			}
			if got := where(t, f); got != c.want {
				t.Errorf("open %q = %s, want %s", c.path, got, c.want)
			}
			f.Close()
		}
		// Links to the host path resolve to the same path inside the root, absent there.
		for _, p := range []string{"up", "hostabs", "self", "dangling"} {
			f, err := r.open(p, 0)
			if err == nil {
				got := where(t, f)
				f.Close()
				if !strings.HasPrefix(got, rootDir+"/") {
					t.Errorf("open %q escaped to %s", p, got)
				}
				continue
			}
			if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ELOOP) && !errors.Is(err, unix.EXDEV) {
				t.Errorf("open %q: %v, want ENOENT", p, err)
			}
		}
		for _, p := range []string{"loop1", "loop2/x"} {
			if f, err := r.open(p, 0); err == nil {
				f.Close()
				t.Errorf("open %q: succeeded on a symlink loop", p)
			}
		}
		entries, _ := os.ReadDir(hostDir)
		if len(entries) != 0 {
			t.Errorf("host dir changed: %v", entries)
		}
	})
}

func TestMkdirAllStaysInRoot(t *testing.T) {
	bothResolvers(t, func(t *testing.T) {
		rootDir, hostDir := resolveFixture(t)
		r, err := openRoot(rootDir)
		if err != nil {
			t.Fatal(err)
		}
		defer r.close()
		hostRel := strings.TrimPrefix(hostDir, "/")
		cases := []struct {
			path string
			file bool
			want string
		}{
			{"/a/b/c", false, "a/b/c"},
			{"../../x/y", false, "x/y"},
			{"toetc/sub", false, "etc/sub"},
			{"abs/abs/z", false, "z"},
			{"up/evil", false, hostRel + "/evil"},
			{"hostabs/evilfile", true, hostRel + "/evilfile"},
			{"dangling", false, "newdir/deeper"},
			{"/f/file", true, "f/file"},
		}
		for _, c := range cases {
			f, err := r.mkdirAll(c.path, 0o755, c.file)
			if err != nil {
				t.Errorf("mkdirAll %q: %v", c.path, err)
				continue
			}
			want := filepath.Join(rootDir, c.want)
			if got := where(t, f); got != want {
				t.Errorf("mkdirAll %q = %s, want %s", c.path, got, want)
			}
			var st unix.Stat_t
			if err := unix.Fstat(int(f.Fd()), &st); err != nil {
				t.Fatal(err)
			}
			if isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR; isDir == c.file {
				t.Errorf("mkdirAll %q: directory=%v, want file=%v", c.path, isDir, c.file)
			}
			f.Close()
		}
		if f, err := r.mkdirAll("loop1/x", 0o755, false); err == nil {
			t.Errorf("mkdirAll through a loop succeeded at %s", where(t, f))
			f.Close()
		}
		entries, _ := os.ReadDir(hostDir)
		if len(entries) != 0 {
			t.Errorf("host dir changed: %v", entries)
		}
	})
}

func TestRelative(t *testing.T) {
	for in, want := range map[string]string{
		"": ".", "/": ".", "/proc": "proc", "dev/pts": "dev/pts", "../../x": "x", "/a/../../b/./c/": "b/c",
	} {
		if got := relative(in); got != want {
			t.Errorf("relative(%q) = %q, want %q", in, got, want)
		}
	}
}
