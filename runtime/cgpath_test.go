package runtime

import "testing"

func TestCgroupfsPath(t *testing.T) {
	cases := map[string]string{
		"/minictr/x":               "/minictr/x",
		"":                         "",
		"machine.slice:libpod:abc": "/machine.slice/libpod-abc.scope",
		"system.slice:cri:abc":     "/system.slice/cri-abc.scope",
		":docker:abc":              "/system.slice/docker-abc.scope",
		"kube-pods.slice:cri:x":    "/kube.slice/kube-pods.slice/cri-x.scope",
		"user.slice:p:n.scope":     "/user.slice/n.scope",
		"relative/path":            "relative/path",
	}
	for in, want := range cases {
		got, err := cgroupfsPath(in)
		if err != nil || got != want {
			t.Errorf("cgroupfsPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := cgroupfsPath("a.slice:b:"); err == nil {
		t.Error("empty name accepted")
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]int{"TERM": 15, "SIGKILL": 9, "usr1": 10, "9": 9, "SIGRTMIN+1": 0} {
		sig, err := ParseSignal(in)
		if want == 0 {
			continue
		}
		if err != nil || int(sig) != want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d", in, sig, err, want)
		}
	}
	for _, bad := range []string{"BOGUS", "0", "99", ""} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) accepted", bad)
		}
	}
}

func TestCheckID(t *testing.T) {
	for _, ok := range []string{"a", "abc-1.2_3+4", "0123456789abcdef"} {
		if err := CheckID(ok); err != nil {
			t.Errorf("CheckID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", "-x", "a b", string(make([]byte, 2000))} {
		if err := CheckID(bad); err == nil {
			t.Errorf("CheckID(%q) accepted", bad)
		}
	}
}

func TestProcStatSelf(t *testing.T) {
	st, start, err := procStat(1)
	if err != nil || start == 0 || st == 0 {
		t.Fatalf("procStat(1) = %c %d %v", st, start, err)
	}
	if alive(1, start+1) {
		t.Fatal("alive with a wrong start time")
	}
}
