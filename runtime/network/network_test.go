package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestParsePort(t *testing.T) {
	good := map[string]PortMapping{
		"8080:80":             {HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		"127.0.0.1:8080:80":   {HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		"53:53/udp":           {HostPort: 53, ContainerPort: 53, Protocol: "udp"},
		"0.0.0.0:1:65535/TCP": {HostPort: 1, ContainerPort: 65535, Protocol: "tcp"},
	}
	for spec, want := range good {
		got, err := ParsePort(spec)
		if err != nil || got != want {
			t.Errorf("ParsePort(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	bad := []string{"", "80", "a:80", "80:b", "0:80", "80:0", "65536:80", "80:80/sctp", "::1:80:80",
		"1.2.3:80:80", "[::1]:80:80", "80:80/", "1:2:3:4", "-1:80"}
	for _, spec := range bad {
		if p, err := ParsePort(spec); err == nil {
			t.Errorf("ParsePort(%q) = %+v, want an error", spec, p)
		} else if !strings.Contains(err.Error(), "bad port spec") {
			t.Errorf("ParsePort(%q) error %q does not say bad port spec", spec, err)
		}
	}
}

func TestValidateBadInput(t *testing.T) {
	base := Config{ID: "c1", Mode: ModeBridge, NetnsPath: "/proc/self/ns/net", StoreDir: t.TempDir()}
	cases := []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"unknown mode", func(c *Config) { c.Mode = "overlay" }, `unknown network mode "overlay"`},
		{"container without id", func(c *Config) { c.Mode = "container:" }, "unknown network mode"},
		{"invalid subnet", func(c *Config) { c.Subnet = "10.129.0.0/33" }, "invalid subnet"},
		{"subnet with host bits", func(c *Config) { c.Subnet = "10.129.0.1/24" }, "host bits set"},
		{"ipv6 subnet", func(c *Config) { c.Subnet = "fd00::/64" }, "only IPv4"},
		{"tiny subnet", func(c *Config) { c.Subnet = "10.129.0.0/30" }, "prefix length"},
		{"loopback subnet", func(c *Config) { c.Subnet = "127.1.0.0/16" }, "loopback"},
		{"long bridge", func(c *Config) { c.Bridge = "averyverylongbridge" }, "1 to 15 bytes"},
		{"bad bridge", func(c *Config) { c.Bridge = "br/0" }, "only letters"},
		{"empty id", func(c *Config) { c.ID = "" }, "empty container id"},
		{"id with slash", func(c *Config) { c.ID = "a/x" }, "must not start with"},
		{"id too long", func(c *Config) { c.ID = strings.Repeat("a", 201) }, "exceed 200 bytes"},
		{"no netns", func(c *Config) { c.NetnsPath = "" }, "needs the container's netns path"},
		{"bad protocol", func(c *Config) { c.Ports = []PortMapping{{HostPort: 1, ContainerPort: 1, Protocol: "icmp"}} }, "protocol"},
		{"port zero", func(c *Config) { c.Ports = []PortMapping{{HostPort: 0, ContainerPort: 1}} }, "between 1 and 65535"},
		{"dup port", func(c *Config) {
			c.Ports = []PortMapping{{HostPort: 9, ContainerPort: 1}, {HostPort: 9, ContainerPort: 2}}
		}, "published twice"},
		{"ports without bridge", func(c *Config) { c.Mode = ModeNone; c.Ports = []PortMapping{{HostPort: 9, ContainerPort: 1}} }, "need --network bridge"},
		{"bad name", func(c *Config) { c.Name = "web server" }, "host name"},
		{"bad dns", func(c *Config) { c.DNS = []string{"dns.example"} }, "not an IP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			_, err := Setup(&c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Setup error = %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(c.StoreDir, "network")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a rejected config created the store: %v", err)
			}
		})
	}
}

// A failing Setup (port in use, subnet clashing with a host route, netns missing) leaves the
// links, the nftables ruleset and the store exactly as they were.
func TestSetupFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	ns := newNS(t)
	// The bridge exists already, so the snapshot compares only what a container adds.
	if _, err := Setup(e.cfg("first", newNS(t))); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, e.store)

	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := uint16(l.Addr().(*net.TCPAddr).Port)
	_, err = Setup(e.cfg("busy", ns, PortMapping{HostIP: "127.0.0.1", HostPort: busy, ContainerPort: 80, Protocol: "tcp"}))
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), fmt.Sprint(busy)) {
		t.Fatalf("port in use: error = %v", err)
	}
	if d := takeSnapshot(t, e.store).diff(before); d != "" {
		t.Fatalf("port-in-use failure left something behind: %s", d)
	}

	// A port another container publishes.
	p := freePort(t)
	if _, err := Setup(e.cfg("owner", newNS(t), PortMapping{HostPort: p, ContainerPort: 80, Protocol: "tcp"})); err != nil {
		t.Fatal(err)
	}
	before = takeSnapshot(t, e.store)
	_, err = Setup(e.cfg("thief", ns, PortMapping{HostIP: "127.0.0.1", HostPort: p, ContainerPort: 81, Protocol: "tcp"}))
	if err == nil || !strings.Contains(err.Error(), "already published by container owner") {
		t.Fatalf("port published twice: error = %v", err)
	}

	// The host's own netns by mistake.
	_, err = Setup(e.cfg("hostns", "/proc/self/ns/net"))
	if err == nil || !strings.Contains(err.Error(), "host's own network namespace") {
		t.Fatalf("host netns: error = %v", err)
	}
	// The netns vanished before Setup.
	_, err = Setup(e.cfg("gone", "/run/netns/mctest-does-not-exist"))
	if err == nil || !strings.Contains(err.Error(), "open netns /run/netns/mctest-does-not-exist") {
		t.Fatalf("missing netns: error = %v", err)
	}
	// eth0 already taken inside the netns: veth creation fails after state and lease were made.
	dup := newNS(t)
	h, _ := netns.GetFromPath(dup)
	nh, err := netlink.NewHandleAt(h)
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	err = nh.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}})
	nh.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err = Setup(e.cfg("dup", dup)); err == nil || !strings.Contains(err.Error(), "create veth") {
		t.Fatalf("eth0 taken: error = %v", err)
	}
	if d := takeSnapshot(t, e.store).diff(before); d != "" {
		t.Fatalf("failures left something behind: %s", d)
	}

	// A new bridge whose subnet overlaps a host route (the test bridge's own).
	other := *e.cfg("clash", ns)
	other.Bridge = "mcx" + randHex(6)
	_, err = Setup(&other)
	if err == nil || !strings.Contains(err.Error(), "overlaps the host route") {
		t.Fatalf("subnet clash: error = %v", err)
	}
	if linkExists(other.Bridge) {
		deleteLink(other.Bridge)
		t.Fatalf("subnet clash left bridge %s", other.Bridge)
	}
	// The existing bridge asked for with another subnet.
	wrong := *e.cfg("wrong", ns)
	wrong.Subnet = "10.132.0.0/24"
	if _, err = Setup(&wrong); err == nil || !strings.Contains(err.Error(), "has subnet") {
		t.Fatalf("subnet mismatch: error = %v", err)
	}
}

func TestNoneMode(t *testing.T) {
	needNet(t)
	ns := newNS(t)
	res, err := Setup(&Config{ID: "n1", Mode: ModeNone, NetnsPath: ns, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Interface != "lo" {
		t.Fatalf("result interface %q", res.Interface)
	}
	h, _ := netns.GetFromPath(ns)
	defer h.Close()
	nh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nh.Close()
	links, err := nh.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Attrs().Name != "lo" || links[0].Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("none mode: links %v, want only lo, up", links)
	}
	// lo works: a TCP round trip on 127.0.0.1 inside.
	l := serveTCP(t, ns, "127.0.0.1:0", echo)
	if got, err := roundTrip(ns, l.Addr().String(), "lo"); err != nil || got != "lo" {
		t.Fatalf("loopback echo inside: %q, %v", got, err)
	}
	// host mode touches nothing.
	if res, err := Setup(&Config{ID: "h1", Mode: ModeHost}); err != nil || res.IP != nil {
		t.Fatalf("host mode: %+v, %v", res, err)
	}
}

// Two containers on the bridge exchange TCP and ping; the default route, MTU, MAC and /etc files
// are right.
func TestBridgeTwoContainers(t *testing.T) {
	e := newEnv(t)
	nsA, nsB := newNS(t), newNS(t)
	a, err := Setup(e.cfg("web", nsA))
	if err != nil {
		t.Fatal(err)
	}
	cfgB := e.cfg("client", nsB)
	b, err := Setup(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	// Setup returns once the bridge forwards through the port, with hairpin on.
	for _, f := range []string{"state", "hairpin_mode"} {
		want := map[string]string{"state": "3", "hairpin_mode": "1"}[f]
		if got, _ := os.ReadFile("/sys/class/net/" + b.HostVeth + "/brport/" + f); strings.TrimSpace(string(got)) != want {
			t.Errorf("bridge port %s %s = %q, want %s", b.HostVeth, f, got, want)
		}
	}
	if a.IP.Equal(b.IP) || !a.Gateway.Equal(b.Gateway) {
		t.Fatalf("addresses: a %v gw %v, b %v gw %v", a.IP, a.Gateway, b.IP, b.Gateway)
	}
	sn, _ := parseSubnet(e.subnet)
	if !sn.net.Contains(a.IP) || !a.Gateway.Equal(sn.gateway) || a.Prefix != 24 {
		t.Fatalf("a got %v/%d gw %v outside %s", a.IP, a.Prefix, a.Gateway, e.subnet)
	}

	serveTCP(t, nsA, ":7000", echo)
	if got, err := roundTrip(nsB, net.JoinHostPort(a.IP.String(), "7000"), "hello"); err != nil || got != "hello" {
		t.Fatalf("B -> A tcp: %q, %v", got, err)
	}
	if err := ping(nsB, a.IP); err != nil {
		t.Fatalf("B pings A: %v", err)
	}
	if err := ping(nsA, a.Gateway); err != nil {
		t.Fatalf("A pings the gateway: %v", err)
	}

	// Inside: eth0 with our MAC and the bridge's MTU, default route via the gateway.
	h, _ := netns.GetFromPath(nsA)
	nh, err := netlink.NewHandleAt(h)
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer nh.Close()
	eth, err := nh.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	br, _ := netlink.LinkByName(e.bridge)
	if eth.Attrs().HardwareAddr.String() != a.MAC || eth.Attrs().MTU != br.Attrs().MTU {
		t.Fatalf("eth0 mac %s mtu %d, want %s mtu %d", eth.Attrs().HardwareAddr, eth.Attrs().MTU, a.MAC, br.Attrs().MTU)
	}
	routes, _ := nh.RouteList(eth, netlink.FAMILY_V4)
	var gw net.IP
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			gw = r.Gw
		}
	}
	if !gw.Equal(a.Gateway) {
		t.Fatalf("default route via %v, want %v (routes %v)", gw, a.Gateway, routes)
	}

	// /etc files: A first (alone), then B; A's hosts is rewritten in place to list B.
	dirA, dirB := t.TempDir(), t.TempDir()
	hostsA, hostnameA, resolvA, err := WriteEtcFiles(dirA, e.cfg("web", nsA), a)
	if err != nil {
		t.Fatal(err)
	}
	hostsB, _, _, err := WriteEtcFiles(dirB, e.cfg("client", nsB), b)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := os.ReadFile(hostsB)
	if !strings.Contains(string(hb), a.IP.String()+"\tweb\n") || !strings.Contains(string(hb), b.IP.String()+"\tclient\n") {
		t.Fatalf("hosts of B:\n%s", hb)
	}
	ha, _ := os.ReadFile(hostsA)
	if !strings.Contains(string(ha), b.IP.String()+"\tclient\n") || !strings.Contains(string(ha), "127.0.0.1\tlocalhost") {
		t.Fatalf("hosts of A after B joined:\n%s", ha)
	}
	hn, _ := os.ReadFile(hostnameA)
	if string(hn) != "web\n" {
		t.Fatalf("hostname %q", hn)
	}
	rc, _ := os.ReadFile(resolvA)
	for _, line := range strings.Split(string(rc), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "nameserver" && net.ParseIP(f[1]).IsLoopback() {
			t.Fatalf("resolv.conf keeps a loopback nameserver:\n%s", rc)
		}
	}
	if !strings.Contains(string(rc), "nameserver ") {
		t.Fatalf("resolv.conf names no server:\n%s", rc)
	}
	// B leaves: A's hosts forgets it.
	if err := Teardown(e.store, cfgB.ID); err != nil {
		t.Fatal(err)
	}
	ha, _ = os.ReadFile(hostsA)
	if strings.Contains(string(ha), "client") {
		t.Fatalf("hosts of A still lists B after its teardown:\n%s", ha)
	}

	// List and Inspect see the bridge and A.
	info, err := Inspect(e.store, e.bridge)
	if err != nil {
		t.Fatal(err)
	}
	if info.Subnet != e.subnet || !info.Present || len(info.Containers) != 1 || info.Containers[0].IP != a.IP.String() || !info.Containers[0].Alive {
		t.Fatalf("inspect: %+v", info)
	}
	if _, err := Inspect(e.store, "nosuch"); err == nil {
		t.Fatal("inspect of an unknown network succeeded")
	}
}

func TestWriteEtcFilesDNS(t *testing.T) {
	dir := t.TempDir()
	_, _, resolv, err := WriteEtcFiles(dir, &Config{ID: "0123456789abcdef", Mode: ModeNone, NetnsPath: "/x", DNS: []string{"192.0.2.53"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := os.ReadFile(resolv)
	hn, _ := os.ReadFile(filepath.Join(dir, "hostname"))
	hosts, _ := os.ReadFile(filepath.Join(dir, "hosts"))
	if string(rc) != "nameserver 192.0.2.53\n" || string(hn) != "0123456789ab\n" || !strings.Contains(string(hosts), "127.0.1.1\t0123456789ab\n") {
		t.Fatalf("resolv %q hostname %q hosts %q", rc, hn, hosts)
	}
}

// A published port is reachable from the host on 127.0.0.1, on the bridge gateway, and from
// another container through the gateway; udp too.
func TestPublishedPort(t *testing.T) {
	e := newEnv(t)
	ns, other := newNS(t), newNS(t)
	hp := freePort(t)
	res, err := Setup(e.cfg("pub", ns, PortMapping{HostPort: hp, ContainerPort: 80, Protocol: "tcp"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Setup(e.cfg("peer", other)); err != nil {
		t.Fatal(err)
	}
	serveTCP(t, ns, ":80", echo)
	for _, target := range []struct{ from, addr string }{
		{"", fmt.Sprintf("127.0.0.1:%d", hp)},
		{"", fmt.Sprintf("%s:%d", res.Gateway, hp)},
		{other, fmt.Sprintf("%s:%d", res.Gateway, hp)},
		{ns, fmt.Sprintf("%s:%d", res.Gateway, hp)}, // hairpin
	} {
		if got, err := roundTrip(target.from, target.addr, "ping "+target.addr); err != nil || got != "ping "+target.addr {
			t.Errorf("published port via %s from %q: %q, %v", target.addr, target.from, got, err)

		}
	}
	// Bound to one host address: 127.0.0.2 does not reach it, 127.0.0.1 does.
	hp2 := freePort(t)
	ns2 := newNS(t)
	if _, err := Setup(e.cfg("pub2", ns2, PortMapping{HostIP: "127.0.0.1", HostPort: hp2, ContainerPort: 81, Protocol: "tcp"})); err != nil {
		t.Fatal(err)
	}
	serveTCP(t, ns2, ":81", echo)
	if got, err := roundTrip("", fmt.Sprintf("127.0.0.1:%d", hp2), "x"); err != nil || got != "x" {
		t.Errorf("127.0.0.1:%d: %q, %v", hp2, got, err)
	}
	if c, err := dial("", fmt.Sprintf("127.0.0.2:%d", hp2)); err == nil {
		c.Close()
		t.Errorf("127.0.0.2:%d reached a port published on 127.0.0.1 only", hp2)
	}

	// UDP.
	up := freePort(t)
	ns3 := newNS(t)
	if _, err := Setup(e.cfg("udp", ns3, PortMapping{HostPort: up, ContainerPort: 53, Protocol: "udp"})); err != nil {
		t.Fatal(err)
	}
	var pc net.PacketConn
	if err := inNS(ns3, func() (err error) { pc, err = net.ListenPacket("udp4", ":53"); return }); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	c, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", up))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("dgram"))
	buf := make([]byte, 64)
	c.SetReadDeadline(timeIn(5))
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "dgram" {
		t.Fatalf("udp published port: %q, %v", buf[:n], err)
	}
}

// A container reaches a server in an "outside" namespace joined to the host by its own veth;
// masquerade makes the server see the host's address on that veth.
func TestMasqueradeToOutside(t *testing.T) {
	e := newEnv(t)
	// A documentation range the host does not use (some hosts sit on TEST-NET-1 themselves).
	var upstream *subnet
	for _, cand := range []string{"198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24"} {
		if sn, _ := parseSubnet(cand); checkSubnetFree(sn, "outside") == nil {
			upstream = sn
			break
		}
	}
	if upstream == nil {
		t.Skip("every TEST-NET range is routed on this host; no safe outside subnet")
	}
	hostIP, outIP := upstream.gateway.String(), u2ip(upstream.first).String()
	outside := newNS(t)
	hostEnd, outEnd := "mco"+randHex(6), "mcp"+randHex(6)
	oh, _ := netns.GetFromPath(outside)
	defer oh.Close()
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostEnd}, PeerName: outEnd, PeerNamespace: netlink.NsFd(int(oh))}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(hostEnd) })
	hl, _ := netlink.LinkByName(hostEnd)
	hostAddr, _ := netlink.ParseAddr(hostIP + "/24")
	if err := netlink.AddrAdd(hl, hostAddr); err != nil {
		t.Fatal(err)
	}
	netlink.LinkSetUp(hl)
	onh, err := netlink.NewHandleAt(oh)
	if err != nil {
		t.Fatal(err)
	}
	defer onh.Close()
	ol, _ := onh.LinkByName(outEnd)
	outAddr, _ := netlink.ParseAddr(outIP + "/24")
	if err := onh.AddrAdd(ol, outAddr); err != nil {
		t.Fatal(err)
	}
	onh.LinkSetUp(ol)
	lo, _ := onh.LinkByName("lo")
	onh.LinkSetUp(lo)
	// No route back to the container subnet in the outside: only masquerade can make it work.
	serveTCP(t, outside, outIP+":8000", sayRemote)

	ns := newNS(t)
	if _, err := Setup(e.cfg("out", ns)); err != nil {
		t.Fatal(err)
	}
	c, err := dial(ns, outIP+":8000")
	if err != nil {
		t.Fatalf("container -> outside: %v", err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	if got := strings.TrimSpace(string(buf[:n])); got != hostIP {
		t.Fatalf("outside saw source %q, want the host veth address %s", got, hostIP)
	}

	// The other way: the outside reaches a port published on all host addresses through the
	// host's address on its link, and the container sees the real client address.
	hp := freePort(t)
	pub := newNS(t)
	if _, err := Setup(e.cfg("pubout", pub, PortMapping{HostPort: hp, ContainerPort: 8080, Protocol: "tcp"})); err != nil {
		t.Fatal(err)
	}
	serveTCP(t, pub, ":8080", sayRemote)
	c2, err := dial(outside, net.JoinHostPort(hostIP, fmt.Sprint(hp)))
	if err != nil {
		t.Fatalf("outside -> published port on %s:%d: %v", hostIP, hp, err)
	}
	defer c2.Close()
	n, _ = c2.Read(buf)
	if got := strings.TrimSpace(string(buf[:n])); got != outIP {
		t.Fatalf("container saw client %q, want the outside address %s", got, outIP)
	}
}

// 30 Setups at once get 30 distinct addresses; after their Teardowns and a Prune, links, leases
// and the nftables ruleset are exactly as before.
func TestConcurrentSetupAndCleanState(t *testing.T) {
	e := newEnv(t)
	before := takeSnapshot(t, e.store)
	const n = 30
	paths := make([]string, n)
	for i := range paths {
		paths[i] = newNS(t)
	}
	cfgs := make([]*Config, n)
	for i := range cfgs {
		cfgs[i] = e.cfg(fmt.Sprintf("ctr-%02d", i), paths[i], PortMapping{HostPort: freePort(t), ContainerPort: 80, Protocol: "tcp"})
	}
	results := make([]*Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], errs[i] = Setup(cfgs[i]) }()
	}
	wg.Wait()
	seen := map[string]string{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("setup %d: %v", i, errs[i])
		}
		ip := results[i].IP.String()
		if other, dup := seen[ip]; dup {
			t.Fatalf("%s given to %s and %s", ip, other, cfgs[i].ID)
		}
		seen[ip] = cfgs[i].ID
	}
	leases, _ := os.ReadDir(filepath.Join(e.store, "network", "leases", e.bridge))
	if len(leases) != n {
		t.Fatalf("%d lease files for %d containers", len(leases), n)
	}
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = Teardown(e.store, cfgs[i].ID) }()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("teardown %d: %v", i, errs[i])
		}
	}
	if err := Teardown(e.store, cfgs[0].ID); err != nil {
		t.Fatalf("second teardown is not a no-op: %v", err)
	}
	if err := Prune(e.store); err != nil {
		t.Fatal(err)
	}
	if d := takeSnapshot(t, e.store).diff(before); d != "" {
		t.Fatalf("after teardown and prune: %s", d)
	}
}

// A container whose netns died (crash) loses its veth with it; its lease is reclaimed by the
// next Setup, and Prune removes its rules and state.
func TestCrashRecovery(t *testing.T) {
	e := newEnv(t)
	sn, _ := parseSubnet(e.subnet)
	// Fill a /29 so that reclaiming is the only way to get an address.
	e.subnet = fmt.Sprintf("%s/29", sn.net.IP)
	nsKeep := newNS(t)
	if _, err := Setup(e.cfg("keep", nsKeep)); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, e.store)
	var dead []string
	for i := range 4 { // a /29 has 5 addresses for containers
		name := "mctest-" + randHex(8)
		runtimeNS(t, name)
		c := e.cfg(fmt.Sprintf("dead-%d", i), "/run/netns/"+name, PortMapping{HostPort: freePort(t), ContainerPort: 80, Protocol: "tcp"})
		if _, err := Setup(c); err != nil {
			t.Fatal(err)
		}
		dead = append(dead, c.ID)
		if err := netns.DeleteNamed(name); err != nil { // the container dies; its netns goes
			t.Fatal(err)
		}
	}
	// The netns is freed asynchronously by the kernel; wait (bounded) for the veths to go.
	for i := 0; i < 200; i++ {
		alive := 0
		for _, id := range dead {
			if linkExists(hostVethName(id)) {
				alive++
			}
		}
		if alive == 0 {
			break
		}
		sleepMs(25)
	}
	// Teardown of a dead container needs only its id.
	if err := Teardown(e.store, dead[0]); err != nil {
		t.Fatalf("teardown after the netns died: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.store, "network", "containers", dead[0]+".json")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("state of %s survived its teardown: %v", dead[0], err)
	}
	fresh := e.cfg("fresh", newNS(t))
	if _, err := Setup(fresh); err != nil {
		t.Fatalf("setup in a full subnet with stale leases: %v", err)
	}
	if err := Teardown(e.store, fresh.ID); err != nil {
		t.Fatal(err)
	}
	if err := Prune(e.store); err != nil {
		t.Fatal(err)
	}
	if d := takeSnapshot(t, e.store).diff(before); d != "" {
		t.Fatalf("after crash recovery: %s", d)
	}
	if !linkExists(e.bridge) {
		t.Fatal("prune removed a bridge still in use")
	}
}

// With route_localnet on the bridge, a container could hand the host a packet for 127.0.0.1;
// the bridge table drops it before it reaches a host service bound to loopback.
func TestLoopbackGuard(t *testing.T) {
	e := newEnv(t)
	ns := newNS(t)
	res, err := Setup(e.cfg("evil", ns))
	if err != nil {
		t.Fatal(err)
	}
	victim, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	port := uint16(victim.LocalAddr().(*net.UDPAddr).Port)
	br, err := netlink.LinkByName(e.bridge)
	if err != nil {
		t.Fatal(err)
	}
	frame := udpFrame(br.Attrs().HardwareAddr, res.IP, net.IPv4(127, 0, 0, 1), port, []byte("sneak"))
	err = inNS(ns, func() error {
		ifc, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		copy(frame[6:12], ifc.HardwareAddr)
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Protocol: 0x0008, Halen: 6}
		copy(sa.Addr[:], br.Attrs().HardwareAddr)
		return unix.Sendto(fd, frame, 0, sa)
	})
	if err != nil {
		t.Fatalf("send crafted frame from the container: %v", err)
	}
	victim.SetReadDeadline(timeIn(1))
	buf := make([]byte, 64)
	if n, _, err := victim.ReadFrom(buf); err == nil {
		t.Fatalf("a host service on 127.0.0.1 received %q from a container", buf[:n])
	}
	// The guard is what stopped it: its counter moved.
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tab := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: bridgeTableName(e.bridge)}
	rules, err := c.GetRules(tab, &nftables.Chain{Name: "prerouting", Table: tab})
	if err != nil || len(rules) != 1 {
		t.Fatalf("guard rules: %v, %v", rules, err)
	}
	var packets uint64
	for _, x := range rules[0].Exprs {
		if ctr, ok := x.(*expr.Counter); ok {
			packets = ctr.Packets
		}
	}
	if packets == 0 {
		t.Fatal("the loopback guard counted no packet: the frame was dropped elsewhere, the test proves nothing")
	}
}

// udpFrame builds an Ethernet+IPv4+UDP frame (source MAC left zero for the caller).
func udpFrame(dstMAC net.HardwareAddr, src, dst net.IP, dport uint16, payload []byte) []byte {
	f := make([]byte, 14+20+8+len(payload))
	copy(f[0:6], dstMAC)
	f[12], f[13] = 0x08, 0x00
	ip := f[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip[8], ip[9] = 64, 17
	copy(ip[12:16], src.To4())
	copy(ip[16:20], dst.To4())
	binary.BigEndian.PutUint16(ip[10:], icmpChecksum(ip))
	udp := f[34:42]
	binary.BigEndian.PutUint16(udp[0:], 40000)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	copy(f[42:], payload)
	return f
}

// The /etc files can be written and bind-mounted before the netns exists, then completed after
// Setup without changing inode (a bind mount keeps showing the file).
func TestEtcFilesTwoPhase(t *testing.T) {
	e := newEnv(t)
	cfg := e.cfg("early", "")
	dir := t.TempDir()
	hosts, _, _, err := WriteEtcFiles(dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var before, after unix.Stat_t
	if err := unix.Stat(hosts, &before); err != nil {
		t.Fatal(err)
	}
	cfg.NetnsPath = newNS(t)
	res, err := Setup(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := WriteEtcFiles(dir, cfg, res); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat(hosts, &after); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(hosts)
	if before.Ino != after.Ino || !strings.Contains(string(b), res.IP.String()+"\tearly\n") {
		t.Fatalf("inode %d -> %d, hosts:\n%s", before.Ino, after.Ino, b)
	}
}
