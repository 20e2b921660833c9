package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const rootlessUser = "mctest-rootless"

// TestRootless runs a container as a real unprivileged user made by the test: `spec --rootless`
// maps the user to root in a user namespace, the state goes under $XDG_RUNTIME_DIR, and a
// memory limit (no cgroup for the user here) is a clear error.
func TestRootless(t *testing.T) {
	if skipReason != "" {
		t.Skip(skipReason)
	}
	for _, tool := range []string{"useradd", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if _, err := user.Lookup(rootlessUser); err != nil {
		if out, err := exec.Command("useradd", "-M", "-s", "/bin/sh", rootlessUser).CombinedOutput(); err != nil {
			t.Fatalf("useradd: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("userdel", rootlessUser).Run() })
	}
	u, _ := user.Lookup(rootlessUser)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	// A world-traversable work dir owned by the user, with the binary, a bundle and a runtime dir.
	dir, err := os.MkdirTemp("", "minictr-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "minictr")
	if err := copyFile(minictrBin, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	os.MkdirAll(bundle, 0o755)
	if out, err := exec.Command("cp", "-a", baseRootfs, filepath.Join(bundle, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v %s", err, out)
	}
	exec.Command("chown", "-R", fmt.Sprintf("%d:%d", uid, gid), dir).Run()
	asUser := func(args ...string) result {
		cmd := exec.Command("setpriv", append([]string{"--reuid", u.Uid, "--regid", u.Gid, "--clear-groups", "--",
			"env", "XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"), "HOME=" + dir, bin}, args...)...)
		// Files, not pipes: a created container keeps its stdio open after minictr exits.
		outF, _ := os.CreateTemp(t.TempDir(), "out")
		errF, _ := os.CreateTemp(t.TempDir(), "err")
		defer outF.Close()
		defer errF.Close()
		cmd.Stdout, cmd.Stderr, cmd.Dir = outF, errF, dir
		cmd.Run()
		out, _ := os.ReadFile(outF.Name())
		errb, _ := os.ReadFile(errF.Name())
		return result{string(out), string(errb), cmd.ProcessState.ExitCode()}
	}
	if r := asUser("spec", "--rootless", "--bundle", bundle); r.code != 0 {
		t.Fatalf("spec --rootless: %s", r.stderr)
	}
	cfgPath := filepath.Join(bundle, "config.json")
	data, _ := os.ReadFile(cfgPath)
	var s specs.Spec
	json.Unmarshal(data, &s)
	s.Process.Terminal = false
	s.Process.Args = []string{"/bin/sh", "-c", "id -u; cat /proc/self/uid_map"}
	data, _ = json.Marshal(&s)
	os.WriteFile(cfgPath, data, 0o644)

	id := newID(t)
	r := asUser("run", "-b", bundle, id)
	if r.code != 0 {
		t.Fatalf("rootless run: exit %d stderr %q", r.code, r.stderr)
	}
	lines := strings.Fields(r.stdout)
	if len(lines) != 4 || lines[0] != "0" || lines[1] != "0" || lines[2] != u.Uid || lines[3] != "1" {
		t.Fatalf("inside: %q, want uid 0 mapped to %s", r.stdout, u.Uid)
	}

	// State under $XDG_RUNTIME_DIR while the container exists.
	s.Process.Args = []string{"/bin/sleep", "30"}
	data, _ = json.Marshal(&s)
	os.WriteFile(cfgPath, data, 0o644)
	if r := asUser("create", "-b", bundle, id); r.code != 0 {
		t.Fatalf("rootless create: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "minictr", id, "state.json")); err != nil {
		t.Errorf("no state under XDG_RUNTIME_DIR: %v", err)
	}
	if r := asUser("delete", "--force", id); r.code != 0 {
		t.Fatalf("rootless delete: %s", r.stderr)
	}

	// Limits without a delegated cgroup: a clear error, nothing left.
	limit := int64(64 << 20)
	s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	data, _ = json.Marshal(&s)
	os.WriteFile(cfgPath, data, 0o644)
	if r := asUser("run", "-b", bundle, id); r.code == 0 || !strings.Contains(r.stderr, "rootless") {
		t.Fatalf("rootless run with a memory limit: exit %d stderr %q, want an error naming the cause", r.code, r.stderr)
	}
}
