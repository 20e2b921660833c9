package caps

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime/seccomp"
)

// The tests that change capabilities do it in a child: the test binary run
// again with helperEnv set, which runs one scenario and then execs itself
// once more in "status" mode to report the sets that survived execve.
const helperEnv = "MINICTR_CAPS_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

func withoutHelperEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, helperEnv+"=") {
			env = append(env, e)
		}
	}
	return env
}

func all(list ...string) *specs.LinuxCapabilities {
	return &specs.LinuxCapabilities{Bounding: list, Effective: list, Permitted: list, Inheritable: list, Ambient: list}
}

// helper runs in the child process.
func helper(mode string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 3
	}
	// exec self in status mode, from this (locked) thread
	report := func(next string) int {
		env := append(withoutHelperEnv(), helperEnv+"="+next)
		err := unix.Exec("/proc/self/exe", []string{os.Args[0]}, env)
		return fail(fmt.Errorf("exec: %w", err))
	}
	switch mode {
	case "status":
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return fail(err)
		}
		os.Stdout.Write(b)
		return 0
	case "bind":
		// try a privileged port on loopback; no traffic is sent
		for p := 700; p < 720; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err == nil {
				l.Close()
				fmt.Println("bind: ok")
				return 0
			}
			if errors.Is(err, syscall.EACCES) {
				fmt.Println("bind: EACCES")
				return 0
			}
		}
		fmt.Println("bind: no free port")
		return 0
	}
	runtime.LockOSThread()
	switch mode {
	case "nil-caps":
		if _, err := Apply(nil); err != nil {
			return fail(err)
		}
		return report("status")
	case "kill-only":
		if _, err := Apply(all("CAP_KILL")); err != nil {
			return fail(err)
		}
		return report("status")
	case "ambient-user", "ambient-user-bind", "no-ambient-user-bind":
		keep := []string{"CAP_NET_BIND_SERVICE"}
		c := all(keep...)
		if mode == "no-ambient-user-bind" {
			c.Ambient = nil
		}
		c.Bounding = append(c.Bounding, "CAP_SETUID", "CAP_SETGID")
		if _, err := DropBounding(c); err != nil {
			return fail(err)
		}
		if err := KeepCaps(true); err != nil {
			return fail(err)
		}
		if err := unix.Setgroups(nil); err != nil {
			return fail(err)
		}
		if err := unix.Setresgid(1000, 1000, 1000); err != nil {
			return fail(err)
		}
		if err := unix.Setresuid(1000, 1000, 1000); err != nil {
			return fail(err)
		}
		if err := KeepCaps(false); err != nil {
			return fail(err)
		}
		if _, err := SetProcess(c); err != nil {
			return fail(err)
		}
		if strings.HasSuffix(mode, "bind") {
			return report("bind")
		}
		return report("status")
	case "init-order", "init-order-no-nnp":
		// the container init's order: bounding while root, user switch with
		// keepcaps, the other sets, no_new_privs, seccomp, exec
		c := &specs.LinuxCapabilities{Bounding: Default, Permitted: Default, Inheritable: Default,
			Effective: Default, Ambient: []string{"CAP_NET_BIND_SERVICE"}}
		steps := []func() error{
			func() error { _, err := DropBounding(c); return err },
			func() error { return KeepCaps(true) },
			func() error { return unix.Setgroups(nil) },
			func() error { return unix.Setresgid(1000, 1000, 1000) },
			func() error { return unix.Setresuid(1000, 1000, 1000) },
			func() error { return KeepCaps(false) },
			func() error { _, err := SetProcess(c); return err },
			func() error { return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
			func() error { _, _, err := seccomp.Load(seccomp.DefaultProfile()); return err },
		}
		if mode == "init-order-no-nnp" {
			// without no_new_privs: the filter goes first, while CAP_SYS_ADMIN is held
			load := steps[8]
			steps = append([]func() error{load}, steps[:7]...)
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fail(fmt.Errorf("step %d: %w", i, err))
			}
		}
		bb := os.Getenv("MINICTR_BUSYBOX")
		err := unix.Exec(bb, []string{"sh", "-c", "cat /proc/self/status; unshare -U true; echo unshare=$?"}, []string{"PATH=/bin:/usr/bin"})
		return fail(fmt.Errorf("exec %s: %w", bb, err))
	case "ambient-not-inheritable":
		c := all("CAP_KILL", "CAP_CHOWN")
		c.Inheritable = []string{"CAP_KILL"}
		_, err := Apply(c)
		if err == nil {
			return fail(errors.New("Apply succeeded"))
		}
		fmt.Println(err)
		return 0
	}
	return fail(fmt.Errorf("unknown mode %q", mode))
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("needs /proc")
	}
}

func runHelper(t *testing.T, mode string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(withoutHelperEnv(), helperEnv+"="+mode), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s: %v\n%s", mode, err, stderr.String())
	}
	return string(out)
}

func statusOf(t *testing.T, out string) Current {
	t.Helper()
	c, err := ParseStatus(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return c
}

func TestOnlyKill(t *testing.T) {
	needRoot(t)
	c := statusOf(t, runHelper(t, "kill-only"))
	want := uint64(1) << unix.CAP_KILL
	if c.Effective != want || c.Permitted != want || c.Bounding != want || c.Inheritable != want || c.Ambient != want {
		t.Fatalf("after exec: %+v, want every set %#x", c, want)
	}
}

func TestNilMeansNoCapabilities(t *testing.T) {
	needRoot(t)
	if c := statusOf(t, runHelper(t, "nil-caps")); c != (Current{}) {
		t.Fatalf("Apply(nil) then exec as root: %+v, want every set empty", c)
	}
}

func TestAmbientAcrossSetuid(t *testing.T) {
	needRoot(t)
	out := runHelper(t, "ambient-user")
	c := statusOf(t, out)
	want := uint64(1) << unix.CAP_NET_BIND_SERVICE
	if !strings.Contains(out, "Uid:\t1000\t1000\t1000\t1000") {
		t.Fatalf("not running as uid 1000:\n%s", out)
	}
	if c.Ambient != want || c.Effective != want || c.Permitted != want {
		t.Fatalf("uid 1000 after exec: %+v, want ambient/effective/permitted %#x", c, want)
	}
	if c.Bounding != want|1<<unix.CAP_SETUID|1<<unix.CAP_SETGID {
		t.Fatalf("bounding %#x", c.Bounding)
	}
}

// The ambient capability really works: uid 1000 binds a privileged port,
// and without it cannot.
func TestAmbientBind(t *testing.T) {
	needRoot(t)
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil || strings.TrimSpace(string(b)) != "1024" {
		t.Skip("ip_unprivileged_port_start is not 1024: the check would mean nothing")
	}
	if out := runHelper(t, "ambient-user-bind"); !strings.Contains(out, "bind: ok") {
		t.Fatalf("with ambient CAP_NET_BIND_SERVICE: %s", out)
	}
	if out := runHelper(t, "no-ambient-user-bind"); !strings.Contains(out, "bind: EACCES") {
		t.Fatalf("without ambient CAP_NET_BIND_SERVICE: %s", out)
	}
}

func TestAmbientNeedsInheritable(t *testing.T) {
	needRoot(t)
	out := runHelper(t, "ambient-not-inheritable")
	if !strings.Contains(out, "raise CAP_CHOWN in the ambient set") || !strings.Contains(out, "inheritable") {
		t.Fatalf("error = %q", out)
	}
}

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{{"CAP_CHOWN", 0}, {"CAP_NET_ADMIN", 12}, {"net_admin", 12}, {"SYS_ADMIN", 21}, {"CAP_CHECKPOINT_RESTORE", 40}} {
		if got, err := ParseName(c.in); err != nil || got != c.want {
			t.Errorf("ParseName(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	if _, err := ParseName("CAP_BOGUS"); err == nil || !strings.Contains(err.Error(), "CAP_BOGUS") {
		t.Errorf("ParseName(CAP_BOGUS): %v", err)
	}
	if len(Names()) != 41 || Names()[unix.CAP_SYS_ADMIN] != "CAP_SYS_ADMIN" || Names()[unix.CAP_BPF] != "CAP_BPF" {
		t.Errorf("Names() = %v", Names())
	}
}

func TestUnknownNameIsAnError(t *testing.T) {
	// parse fails before anything changes, so this is safe in the test process
	_, err := Apply(&specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_NOPE"}})
	if err == nil || !strings.Contains(err.Error(), `capabilities.effective: unknown capability "CAP_NOPE"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestCapAboveKernelLastWarns(t *testing.T) {
	m, warns, err := parseSet("permitted", []string{"CAP_KILL", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}, 38)
	if err != nil {
		t.Fatal(err)
	}
	if m != 1<<unix.CAP_KILL || len(warns) != 2 || !strings.Contains(warns[0], "CAP_BPF not known to the running kernel") {
		t.Fatalf("mask %#x warnings %q", m, warns)
	}
	if n, err := Last(); err != nil || n < 30 {
		t.Fatalf("Last() = %d, %v", n, err)
	}
}

func TestParseStatus(t *testing.T) {
	c, err := ParseStatus("Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000020\n")
	if err != nil || c.Permitted != 0x1ffffffffff || c.Ambient != 0x20 {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := ParseStatus("Name:\tx\n"); err == nil {
		t.Fatal("no Cap lines accepted")
	}
	if _, err := ParseStatus("CapInh:\tzz\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"); err == nil {
		t.Fatal("bad hex accepted")
	}
}

func TestAdjust(t *testing.T) {
	for _, c := range []struct {
		add, drop, want []string
	}{
		{nil, nil, Default},
		{[]string{"net_admin"}, []string{"CAP_KILL"}, nil},
		{[]string{"CAP_SYS_ADMIN"}, []string{"ALL"}, []string{"CAP_SYS_ADMIN"}},
		{[]string{"ALL"}, []string{"CAP_SYS_ADMIN"}, nil},
	} {
		got, err := Adjust(Default, c.add, c.drop)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Mask(got)
		want, _ := Mask(c.want)
		switch {
		case c.want != nil:
		case len(c.add) == 1 && c.add[0] == "ALL":
			want = (1<<41 - 1) &^ (1 << unix.CAP_SYS_ADMIN)
		default:
			want, _ = Mask(Default)
			want = (want | 1<<unix.CAP_NET_ADMIN) &^ (1 << unix.CAP_KILL)
		}
		if m != want {
			t.Errorf("Adjust(+%v -%v) = %v", c.add, c.drop, got)
		}
	}
	if _, err := Adjust(Default, []string{"CAP_FOO"}, nil); err == nil || !strings.Contains(err.Error(), "--cap-add") {
		t.Errorf("bad --cap-add: %v", err)
	}
	if got, _ := Adjust([]string{"CAP_KILL", "CAP_CHOWN"}, nil, nil); !reflect.DeepEqual(got, []string{"CAP_CHOWN", "CAP_KILL"}) {
		t.Errorf("not ordered by number: %v", got)
	}
}

// The whole sequence the container init runs, with both packages.
func TestInitOrder(t *testing.T) {
	needRoot(t)
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (Debian package busybox-static)")
	}
	out := runHelper(t, "init-order", "MINICTR_BUSYBOX="+bb)
	c := statusOf(t, out)
	def, _ := Mask(Default)
	nbs := uint64(1) << unix.CAP_NET_BIND_SERVICE
	if c.Bounding != def || c.Inheritable != def || c.Ambient != nbs || c.Effective != nbs || c.Permitted != nbs {
		t.Errorf("capabilities after exec as uid 1000: %+v (bounding want %#x)", c, def)
	}
	for _, want := range []string{"Uid:\t1000\t1000\t1000\t1000", "NoNewPrivs:\t1", "Seccomp:\t2", "unshare=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// noNewPrivileges false: seccomp loaded first, as root, then the user switch
	out = runHelper(t, "init-order-no-nnp", "MINICTR_BUSYBOX="+bb)
	if c := statusOf(t, out); c.Effective != nbs || c.Bounding != def {
		t.Errorf("capabilities without no_new_privs: %+v", c)
	}
	for _, want := range []string{"Uid:\t1000\t1000\t1000\t1000", "NoNewPrivs:\t0", "Seccomp:\t2", "unshare=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("without no_new_privs: missing %q in:\n%s", want, out)
		}
	}
}
