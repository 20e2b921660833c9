package runtime

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSyncMessagesRoundTrip(t *testing.T) {
	spec := &specs.Spec{Version: specs.Version, Hostname: "h",
		Process: &specs.Process{Args: []string{"/bin/sh", "-c", "exit 3"}, Env: []string{}, Cwd: "/"},
		Linux:   &specs.Linux{Sysctl: map[string]string{"net.ipv4.ip_forward": "1"}}}
	cfg := &initConfig{ID: "c1", Spec: spec, Process: spec.Process, Bundle: "/b", FifoFd: 5, ConsoleFd: -1, FirstFd: 4, NewNet: true}
	var buf bytes.Buffer
	for _, m := range []*message{{Type: msgConfig, Config: cfg}, {Type: msgReady}, {Type: msgError, Msg: "mount proc: EPERM"}} {
		if err := writeMessage(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != msgConfig || !reflect.DeepEqual(got.Config, cfg) {
		t.Fatalf("config: got %+v", got)
	}
	if got.Config.Process.Env == nil {
		t.Error("an empty env came back as none")
	}
	if got, err = readMessage(&buf); err != nil || got.Type != msgReady || got.Config != nil {
		t.Fatalf("ready: %+v %v", got, err)
	}
	if got, err = readMessage(&buf); err != nil || got.Type != msgError || got.Msg != "mount proc: EPERM" {
		t.Fatalf("error: %+v %v", got, err)
	}
	// A config that arrives as JSON (an older build) is refused, not half-read.
	buf.Reset()
	buf.Write([]byte{0, 0, 0, 17})
	buf.WriteString(`{"type":"config"}`)
	if _, err := readMessage(&buf); err == nil || !strings.Contains(err.Error(), "config message in JSON") {
		t.Fatalf("JSON config: %v", err)
	}
}
