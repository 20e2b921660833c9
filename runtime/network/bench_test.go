package network

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netns"
)

// BenchmarkSetupTeardown measures connecting and disconnecting one container: "none" (lo up)
// against "bridge" (veth, address, route, lease, nftables table, state). Making and removing
// the netns itself is outside the timer: both modes pay it alike. The bridge exists already.
func BenchmarkSetupTeardown(b *testing.B) {
	for _, mode := range []string{ModeNone, ModeBridge} {
		// "setup" times Setup only (what a container start pays); "cycle" adds Teardown while
		// the netns is still alive (the worst case: after the container exited, its veth is
		// already gone with its netns).
		for _, what := range []string{"setup", "cycle"} {
			b.Run(mode+"/"+what, func(b *testing.B) { benchSetup(b, mode, what == "cycle") })
		}
	}
}

func benchSetup(b *testing.B, mode string, timeTeardown bool) {
	e := newEnv(b)
	if _, err := Setup(e.cfg("warm", newNS(b))); err != nil { // creates the bridge
		b.Fatal(err)
	}
	port := freePort(b) // each iteration tears down before the next publishes it again
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := "mctest-" + randHex(8)
		runtimeNS(b, name)
		cfg := e.cfg(fmt.Sprintf("b%d", i), filepath.Join("/run/netns", name),
			PortMapping{HostPort: port, ContainerPort: 80, Protocol: "tcp"})
		cfg.Mode = mode
		if mode == ModeNone {
			cfg.Ports = nil
		}
		b.StartTimer()
		if _, err := Setup(cfg); err != nil {
			b.Fatal(err)
		}
		if !timeTeardown {
			b.StopTimer()
		}
		if err := Teardown(e.store, cfg.ID); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		netns.DeleteNamed(name)
		b.StartTimer()
	}
}

// BenchmarkTCPThroughput streams bytes over one TCP connection: container to container over
// the bridge, host to container over the veth, and host loopback for reference.
func BenchmarkTCPThroughput(b *testing.B) {
	const chunk = 128 << 10
	run := func(b *testing.B, clientNS, serverNS, serverIP string) {
		l := serveTCP(b, serverNS, serverIP+":0", func(c net.Conn) { io.Copy(io.Discard, c) })
		_, port, _ := net.SplitHostPort(l.Addr().String())
		c, err := dial(clientNS, net.JoinHostPort(serverIP, port))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(timeIn(600))
		buf := make([]byte, chunk)
		b.SetBytes(chunk)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := c.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("loopback", func(b *testing.B) { needNet(b); run(b, "", "", "127.0.0.1") })
	e := newEnv(b)
	nsA, nsB := newNS(b), newNS(b)
	a, err := Setup(e.cfg("srv", nsA))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Setup(e.cfg("cli", nsB)); err != nil {
		b.Fatal(err)
	}
	b.Run("bridge", func(b *testing.B) { run(b, nsB, nsA, a.IP.String()) })
	b.Run("host-veth", func(b *testing.B) { run(b, "", nsA, a.IP.String()) })
}

// BenchmarkIperf3 cross-checks the numbers above with Debian's iperf3 (2 s per path; b.N is
// ignored, the result is the reported Gbit/s metric).
func BenchmarkIperf3(b *testing.B) {
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Skip("iperf3 not installed (Debian package iperf3)")
	}
	e := newEnv(b)
	nsA, nsB := newNS(b), newNS(b)
	a, err := Setup(e.cfg("srv", nsA))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Setup(e.cfg("cli", nsB)); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, clientNS, serverNS, ip string) {
		port := fmt.Sprint(freePort(b))
		srv := nsCmd(serverNS, "iperf3", "-s", "-1", "-B", ip, "-p", port)
		if err := srv.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { srv.Process.Kill(); srv.Wait() }()
		var r struct {
			Error string `json:"error"`
			End   struct {
				SumReceived struct {
					BitsPerSecond float64 `json:"bits_per_second"`
				} `json:"sum_received"`
			} `json:"end"`
		}
		var out []byte
		for i := 0; i < 50; i++ { // the server needs a moment to listen
			// iperf3 -J exits 0 on some errors: the JSON's "error" tells.
			out, err = nsCmd(clientNS, "iperf3", "-c", ip, "-p", port, "-t", "2", "-J").Output()
			r.Error = ""
			if jerr := json.Unmarshal(out, &r); err == nil && jerr == nil && r.Error == "" {
				break
			}
			sleepMs(20)
		}
		if r.End.SumReceived.BitsPerSecond == 0 {
			b.Fatalf("iperf3 measured nothing (%v): %s", err, out)
		}
		b.ReportMetric(r.End.SumReceived.BitsPerSecond/1e9, "Gbit/s")
	}
	b.Run("loopback", func(b *testing.B) { run(b, "", "", "127.0.0.1") })
	b.Run("bridge", func(b *testing.B) { run(b, nsB, nsA, a.IP.String()) })
	b.Run("host-veth", func(b *testing.B) { run(b, "", nsA, a.IP.String()) })
}

// nsCmd runs a command in the named netns at path ("" for the host) with `ip netns exec`.
func nsCmd(path string, name string, args ...string) *exec.Cmd {
	if path == "" {
		return exec.Command(name, args...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", filepath.Base(path), name}, args...)...)
}
