package network

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestMain restores the host-wide forwarding switch that Setup turns on.
func TestMain(m *testing.M) {
	old, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	code := m.Run()
	if err == nil {
		os.WriteFile("/proc/sys/net/ipv4/ip_forward", old, 0o644)
	}
	os.Exit(code)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// needNet skips unless we are root and nftables answers.
func needNet(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (netns, links, nftables)")
	}
	c, err := nftables.New()
	if err == nil {
		_, err = c.ListTablesOfFamily(nftables.TableFamilyIPv4)
	}
	if err != nil {
		t.Skipf("nftables not usable here: %v", err)
	}
}

// env is one test's private network: its own bridge, subnet and store.
type env struct {
	t      testing.TB
	bridge string
	subnet string
	store  string
	ids    []string
}

func newEnv(t testing.TB) *env {
	needNet(t)
	var b [1]byte
	rand.Read(b[:])
	e := &env{t: t, bridge: "mct" + randHex(6), subnet: fmt.Sprintf("10.131.%d.0/24", b[0]), store: t.TempDir()}
	t.Cleanup(func() {
		for _, id := range e.ids {
			Teardown(e.store, id)
		}
		Prune(e.store)
		deleteLink(e.bridge)
	})
	return e
}

func (e *env) cfg(id string, nsPath string, ports ...PortMapping) *Config {
	// Ids are unique per test so that leftovers of an earlier, killed run never collide.
	id, name := id+"-"+e.bridge, id
	e.ids = append(e.ids, id)
	return &Config{ID: id, Name: name, Mode: ModeBridge, NetnsPath: nsPath, Bridge: e.bridge, Subnet: e.subnet,
		StoreDir: e.store, Ports: ports}
}

// newNS makes a named network namespace (a bind mount under /run/netns) standing in for a
// container, removed at cleanup. It returns its path.
func newNS(t testing.TB) string {
	t.Helper()
	name := "mctest-" + randHex(8)
	runtimeNS(t, name)
	return filepath.Join("/run/netns", name)
}

// runtimeNS creates the named netns; cleanup deletes it if it still exists.
func runtimeNS(t testing.TB, name string) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("get current netns: %v", err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		panic("cannot return to the original netns: " + serr.Error()) // the thread would be poisoned
	}
	if err != nil {
		t.Fatalf("create netns %s: %v", name, err)
	}
	ns.Close()
	t.Cleanup(func() { netns.DeleteNamed(name) })
}

func timeIn(sec int) time.Time { return time.Now().Add(time.Duration(sec) * time.Second) }
func sleepMs(ms int)           { time.Sleep(time.Duration(ms) * time.Millisecond) }

// inNS runs fn on a thread switched into the namespace at path. Sockets made by fn stay in that
// namespace afterwards, whichever thread uses them.
func inNS(path string, fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return err
	}
	defer ns.Close()
	if err := netns.Set(ns); err != nil {
		return err
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		panic("cannot return to the original netns: " + err.Error())
	}
	return ferr
}

// serveTCP listens on addr inside the namespace; each connection gets reply(conn) written back.
func serveTCP(t testing.TB, nsPath, addr string, reply func(c net.Conn)) net.Listener {
	t.Helper()
	var l net.Listener
	listen := func() (err error) { l, err = net.Listen("tcp4", addr); return }
	var err error
	if nsPath == "" {
		err = listen()
	} else {
		err = inNS(nsPath, listen)
	}
	if err != nil {
		t.Fatalf("listen %s in %s: %v", addr, nsPath, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				reply(c)
			}()
		}
	}()
	return l
}

func echo(c net.Conn) { io.Copy(c, c) }

// sayRemote writes the peer address the server sees.
func sayRemote(c net.Conn) {
	h, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	fmt.Fprintf(c, "%s\n", h)
}

// dial connects from the namespace at nsPath ("" for the host).
func dial(nsPath, addr string) (net.Conn, error) {
	var c net.Conn
	d := func() (err error) { c, err = net.DialTimeout("tcp4", addr, 5*time.Second); return }
	var err error
	if nsPath == "" {
		err = d()
	} else {
		err = inNS(nsPath, d)
	}
	if err == nil {
		c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	return c, err
}

// roundTrip sends msg to an echo server at addr and returns what came back.
func roundTrip(nsPath, addr, msg string) (string, error) {
	c, err := dial(nsPath, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := io.WriteString(c, msg+"\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// ping sends one ICMP echo request from the namespace to ip and waits for the reply.
func ping(nsPath string, ip net.IP) error {
	var pc net.PacketConn
	if err := inNS(nsPath, func() (err error) { pc, err = net.ListenPacket("ip4:icmp", "0.0.0.0"); return }); err != nil {
		return fmt.Errorf("icmp socket: %w", err)
	}
	defer pc.Close()
	id := uint16(os.Getpid())
	seq := uint16(time.Now().UnixNano())
	msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq), 'm', 'c'}
	binary.BigEndian.PutUint16(msg[2:], icmpChecksum(msg))
	if _, err := pc.WriteTo(msg, &net.IPAddr{IP: ip}); err != nil {
		return fmt.Errorf("send echo request to %s: %w", ip, err)
	}
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	for i := 0; i < 100; i++ {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("wait for echo reply from %s: %w", ip, err)
		}
		if n >= 8 && buf[0] == 0 && binary.BigEndian.Uint16(buf[4:]) == id && binary.BigEndian.Uint16(buf[6:]) == seq &&
			from.(*net.IPAddr).IP.Equal(ip) {
			return nil
		}
	}
	return fmt.Errorf("no echo reply from %s among 100 packets", ip)
}

func icmpChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

var (
	portsMu   sync.Mutex
	portsUsed = map[uint16]bool{}
)

// freePort returns a TCP port that nothing on the host listens on right now, and that it has
// not returned before in this process (the kernel may hand out a just-closed port again).
func freePort(t testing.TB) uint16 {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for i := 0; i < 1000; i++ {
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		p := uint16(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		if !portsUsed[p] {
			portsUsed[p] = true
			return p
		}
	}
	t.Fatal("no fresh free port in 1000 tries")
	return 0
}

// snapshot is what must be identical before a Setup and after its Teardown: our links (names
// starting "mc"), our nftables tables (whole ruleset text when the nft tool exists) and the
// store's lease and state files.
type snapshot struct {
	links, nft, files string
}

func takeSnapshot(t testing.TB, store string) snapshot {
	t.Helper()
	var s snapshot
	ls, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		if strings.HasPrefix(l.Attrs().Name, "mc") {
			names = append(names, l.Attrs().Name+"/"+l.Type())
		}
	}
	sort.Strings(names)
	s.links = strings.Join(names, " ")
	if _, err := exec.LookPath("nft"); err == nil {
		out, err := exec.Command("nft", "list", "ruleset").CombinedOutput()
		if err != nil {
			t.Fatalf("nft list ruleset: %v: %s", err, out)
		}
		// Keep only our tables (other tests on this machine may own others), in name order.
		var keep []string
		in := false
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "table ") {
				in = strings.Contains(line, " minictr_")
				if in {
					keep = append(keep, "")
				}
			}
			if in {
				keep[len(keep)-1] += line + "\n"
			}
		}
		sort.Strings(keep)
		s.nft = strings.Join(keep, "")
	} else {
		tabs, err := ourTables()
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(tabs)
		s.nft = strings.Join(tabs, " ")
	}
	var files []string
	for _, sub := range []string{"leases", "containers"} {
		filepath.Walk(filepath.Join(store, "network", sub), func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				files = append(files, strings.TrimPrefix(p, store))
			}
			return nil
		})
	}
	s.files = strings.Join(files, " ")
	return s
}

func (a snapshot) diff(b snapshot) string {
	var d []string
	if a.links != b.links {
		d = append(d, fmt.Sprintf("links: %q vs %q", a.links, b.links))
	}
	if a.nft != b.nft {
		d = append(d, fmt.Sprintf("nft: %q vs %q", a.nft, b.nft))
	}
	if a.files != b.files {
		d = append(d, fmt.Sprintf("files: %q vs %q", a.files, b.files))
	}
	return strings.Join(d, "; ")
}
