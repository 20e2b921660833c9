package unpack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// entry describes one tar entry for the tests.
type entry struct {
	name, link, body string
	typ              byte
	mode             int64
	uid, gid         int
	mtime            time.Time
	major, minor     int64
	pax              map[string]string
}

func mkTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			ModTime: e.mtime, Devmajor: e.major, Devminor: e.minor, PAXRecords: e.pax, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.ModTime.IsZero() {
			h.ModTime = time.Unix(1700000000, 0)
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %s: %v", e.name, err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func apply(t *testing.T, dir string, mode WhiteoutMode, data []byte) error {
	t.Helper()
	_, err := Apply(context.Background(), dir, bytes.NewReader(data), Options{Whiteouts: mode})
	return err
}

func lstat(t *testing.T, p string) *unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("lstat %s: %v", p, err)
	}
	return &st
}

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown, mknod, trusted xattrs)")
	}
}

func TestEntryTypes(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	mt := time.Unix(1600000000, 0)
	data := mkTar(t,
		entry{name: "bin/", typ: tar.TypeDir, mtime: mt},
		entry{name: "bin/su", body: "setuid", mode: 0o4755, uid: 1000, gid: 1001},
		entry{name: "bin/sh", typ: tar.TypeSymlink, link: "busybox", uid: 7, gid: 8},
		entry{name: "bin/busybox", body: "BB", mode: 0o755},
		entry{name: "bin/ls", typ: tar.TypeLink, link: "bin/busybox"},
		entry{name: "dev/null", typ: tar.TypeChar, major: 1, minor: 3, mode: 0o666},
		entry{name: "dev/loop0", typ: tar.TypeBlock, major: 7, minor: 0, mode: 0o660},
		entry{name: "run/fifo", typ: tar.TypeFifo, mode: 0o600},
		entry{name: "etc/x", body: "x", pax: map[string]string{"SCHILY.xattr.user.test": "v1", "SCHILY.xattr.trusted.overlay.redirect": "/evil"}},
		entry{name: "/abs/file", body: "confined"},
		entry{name: "./dot/file", body: "dot"},
	)
	if err := apply(t, dir, ApplyWhiteouts, data); err != nil {
		t.Fatal(err)
	}
	st := lstat(t, filepath.Join(dir, "bin/su"))
	if st.Mode&0o7777 != 0o4755 || st.Uid != 1000 || st.Gid != 1001 || st.Mtim.Sec != 1700000000 {
		t.Errorf("bin/su: mode %o uid %d gid %d mtime %d", st.Mode&0o7777, st.Uid, st.Gid, st.Mtim.Sec)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "bin/sh")); l != "busybox" {
		t.Errorf("bin/sh -> %q", l)
	}
	if st := lstat(t, filepath.Join(dir, "bin/sh")); st.Uid != 7 || st.Gid != 8 {
		t.Errorf("symlink owner %d:%d", st.Uid, st.Gid)
	}
	a, b := lstat(t, filepath.Join(dir, "bin/busybox")), lstat(t, filepath.Join(dir, "bin/ls"))
	if a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("hardlink: inodes %d %d nlink %d", a.Ino, b.Ino, a.Nlink)
	}
	if st := lstat(t, filepath.Join(dir, "dev/null")); st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("dev/null: mode %o rdev %x", st.Mode, st.Rdev)
	}
	if st := lstat(t, filepath.Join(dir, "dev/loop0")); st.Mode&unix.S_IFMT != unix.S_IFBLK {
		t.Errorf("dev/loop0: mode %o", st.Mode)
	}
	if st := lstat(t, filepath.Join(dir, "run/fifo")); st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("run/fifo: mode %o", st.Mode)
	}
	buf := make([]byte, 64)
	if n, err := unix.Lgetxattr(filepath.Join(dir, "etc/x"), "user.test", buf); err != nil || string(buf[:n]) != "v1" {
		t.Errorf("xattr user.test = %q, %v", buf[:n], err)
	}
	if _, err := unix.Lgetxattr(filepath.Join(dir, "etc/x"), "trusted.overlay.redirect", buf); err == nil {
		t.Errorf("trusted.overlay.redirect from the archive was set")
	}
	if st := lstat(t, filepath.Join(dir, "bin")); st.Mtim.Sec != mt.Unix() {
		t.Errorf("bin mtime %d, want %d (set after its contents)", st.Mtim.Sec, mt.Unix())
	}
	for _, p := range []string{"abs/file", "dot/file"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestReplaceExisting(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	l1 := mkTar(t, entry{name: "a/", typ: tar.TypeDir}, entry{name: "a/f", body: "1"}, entry{name: "b", body: "file"}, entry{name: "c", typ: tar.TypeSymlink, link: "/etc"})
	l2 := mkTar(t, entry{name: "a", body: "now a file"}, entry{name: "b/", typ: tar.TypeDir}, entry{name: "b/g", body: "g"}, entry{name: "c", body: "plain"})
	if err := apply(t, dir, ApplyWhiteouts, l1); err != nil {
		t.Fatal(err)
	}
	if err := apply(t, dir, ApplyWhiteouts, l2); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"a": "now a file", "b/g": "g", "c": "plain"} {
		if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
}

func TestWhiteoutsApplied(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	l1 := mkTar(t,
		entry{name: "keep", body: "k"}, entry{name: "gone", body: "g"},
		entry{name: "d/", typ: tar.TypeDir}, entry{name: "d/old", body: "o"},
		entry{name: "o/", typ: tar.TypeDir}, entry{name: "o/old", body: "o"}, entry{name: "o/sub/", typ: tar.TypeDir},
	)
	l2 := mkTar(t,
		entry{name: ".wh.gone", typ: tar.TypeReg},
		entry{name: ".wh.d", typ: tar.TypeReg}, entry{name: "d/", typ: tar.TypeDir}, entry{name: "d/new", body: "n"},
		entry{name: "o/new", body: "n"}, entry{name: "o/.wh..wh..opq"}, // opaque after a same-layer entry
		entry{name: ".wh.nothing"},
	)
	if err := apply(t, dir, ApplyWhiteouts, l1); err != nil {
		t.Fatal(err)
	}
	if err := apply(t, dir, ApplyWhiteouts, l2); err != nil {
		t.Fatal(err)
	}
	exist := map[string]bool{"keep": true, "gone": false, "d/old": false, "d/new": true, "o/old": false, "o/sub": false, "o/new": true, ".wh.gone": false, "o/.wh..wh..opq": false}
	for p, want := range exist {
		_, err := os.Lstat(filepath.Join(dir, p))
		if (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", p, err == nil, want)
		}
	}
}

func TestWhiteoutsOverlayForm(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	l := mkTar(t,
		entry{name: "gone/.wh..wh..opq"}, // before its directory's own entry
		entry{name: "gone/", typ: tar.TypeDir, mode: 0o711},
		entry{name: ".wh.file"},
		entry{name: ".wh.d"}, entry{name: "d/", typ: tar.TypeDir}, entry{name: "d/new", body: "n"},
		entry{name: "e/x", body: "x"}, entry{name: ".wh.e"}, // whiteout after a same-layer directory
	)
	if err := apply(t, dir, OverlayWhiteouts, l); err != nil {
		t.Fatal(err)
	}
	if st := lstat(t, filepath.Join(dir, "file")); st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("file: mode %o rdev %d, want a 0/0 char device", st.Mode, st.Rdev)
	}
	buf := make([]byte, 8)
	for _, d := range []string{"gone", "d", "e"} {
		n, err := unix.Lgetxattr(filepath.Join(dir, d), "trusted.overlay.opaque", buf)
		if err != nil || string(buf[:n]) != "y" {
			t.Errorf("%s: trusted.overlay.opaque = %q, %v", d, buf[:n], err)
		}
	}
	if st := lstat(t, filepath.Join(dir, "gone")); st.Mode&0o7777 != 0o711 || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("gone: mode %o", st.Mode)
	}
	if _, err := os.Stat(filepath.Join(dir, "d/new")); err != nil {
		t.Error(err)
	}
}

// sandbox gives a target directory inside a fresh parent, and a function that fails the test
// if anything but the target appeared in the parent or in the "outside" directory.
func sandbox(t *testing.T) (target, outside string, check func()) {
	parent := t.TempDir()
	target = filepath.Join(parent, "root")
	outside = filepath.Join(parent, "outside")
	os.Mkdir(target, 0o755)
	os.Mkdir(outside, 0o755)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600)
	return target, outside, func() {
		t.Helper()
		ents, _ := os.ReadDir(parent)
		if len(ents) != 2 {
			t.Errorf("parent holds %d entries, want root and outside only", len(ents))
		}
		ents, _ = os.ReadDir(outside)
		if len(ents) != 1 {
			t.Errorf("outside holds %d entries, want 1", len(ents))
		}
		if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != "secret" {
			t.Errorf("outside/secret changed to %q", b)
		}
		if st := lstat(t, filepath.Join(outside, "secret")); st.Nlink != 1 || st.Mode&0o777 != 0o600 {
			t.Errorf("outside/secret: nlink %d mode %o", st.Nlink, st.Mode&0o777)
		}
	}
}

func TestMalicious(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name    string
		entries func(outside string) []entry
		wantErr bool
	}{
		{"dotdot", func(string) []entry { return []entry{{name: "../outside/pwn", body: "x"}} }, true},
		{"dotdot in middle", func(string) []entry { return []entry{{name: "a/../../outside/pwn", body: "x"}} }, true},
		{"symlink escape relative", func(string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: "../outside"}, {name: "l/pwn", body: "x"}}
		}, false},
		{"symlink escape absolute", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "l/pwn", body: "x"}}
		}, true},
		{"symlink then overwrite target", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o + "/secret"}, {name: "l", body: "x"}}
		}, false},
		{"hardlink escape", func(string) []entry { return []entry{{name: "h", typ: tar.TypeLink, link: "../outside/secret"}} }, true},
		{"hardlink absolute", func(o string) []entry { return []entry{{name: "h", typ: tar.TypeLink, link: o + "/secret"}} }, true},
		{"hardlink through symlink", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "h", typ: tar.TypeLink, link: "l/secret"}}
		}, true},
		{"hardlink to symlink outside then write", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o + "/secret"}, {name: "h", typ: tar.TypeLink, link: "l"}, {name: "h", body: "x"}}
		}, false},
		{"chmod through symlink", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "l/", typ: tar.TypeDir, mode: 0o777}}
		}, false},
		{"whiteout through symlink", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "l/.wh.secret"}}
		}, false},
		{"opaque through symlink", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "l/.wh..wh..opq"}}
		}, false},
		{"whiteout dotdot", func(string) []entry { return []entry{{name: ".wh..."}} }, false},
		{"long component", func(string) []entry { return []entry{{name: strings.Repeat("a", 300), body: "x"}} }, true},
	}
	for _, mode := range []WhiteoutMode{ApplyWhiteouts, OverlayWhiteouts} {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				target, outside, check := sandbox(t)
				err := apply(t, target, mode, mkTar(t, c.entries(outside)...))
				if c.wantErr && err == nil {
					t.Errorf("mode %d: no error", mode)
				}
				if err != nil && !strings.Contains(err.Error(), "layer entry") {
					t.Errorf("error %q does not name the entry", err)
				}
				check()
			})
		}
	}
}

func TestHugeHeader(t *testing.T) {
	target, _, check := sandbox(t)
	// A PAX extended header of 2 MiB (archive/tar refuses more than 1 MiB): written as a regular
	// file whose type byte is then patched to 'x'.
	rec := "2097152 comment=" + strings.Repeat("x", 2097152-len("2097152 comment=")-1) + "\n"
	raw := mkTar(t, entry{name: "hdr", body: rec}, entry{name: "f", body: "x"})
	raw[156] = 'x'
	var sum int64
	copy(raw[148:156], "        ")
	for _, b := range raw[:512] {
		sum += int64(b)
	}
	copy(raw[148:156], []byte(strconv.FormatInt(sum, 8) + "\x00 ")[:7])
	err := apply(t, target, ApplyWhiteouts, raw)
	t.Logf("huge header: %v", err)
	if err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("2 MiB PAX header: %v", err)
	}
	// A name longer than PATH_MAX.
	long := strings.Repeat("abcdefgh/", 600)
	if err := apply(t, target, ApplyWhiteouts, mkTar(t, entry{name: long + "f", body: "x"})); err == nil || !errors.Is(err, ErrUnsafe) {
		t.Errorf("5 KiB name: %v", err)
	}
	check()
}

func TestApplyLayerCompressionAndDigest(t *testing.T) {
	requireRoot(t)
	plain := mkTar(t, entry{name: "hello", body: "world"})
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	want := digest.FromBytes(plain)
	for name, blob := range map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "zstd": zs.Bytes()} {
		dir := t.TempDir()
		if _, err := ApplyLayer(context.Background(), dir, bytes.NewReader(blob), want, Options{}); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "hello")); string(b) != "world" {
			t.Errorf("%s: hello = %q", name, b)
		}
		if _, err := ApplyLayer(context.Background(), t.TempDir(), bytes.NewReader(blob), digest.FromString("other"), Options{}); err == nil {
			t.Errorf("%s: wrong diff ID accepted", name)
		}
	}
	if _, err := ApplyLayer(context.Background(), t.TempDir(), bytes.NewReader(gz.Bytes()[:len(gz.Bytes())/2]), want, Options{}); err == nil {
		t.Error("truncated gzip accepted")
	}
}
