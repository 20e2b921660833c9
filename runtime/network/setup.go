package network

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Setup connects the container described by cfg. For every mode with a namespace of its own it
// brings lo up; for "bridge" it also creates what is described in the package comment. On error
// nothing it made is left behind.
func Setup(in *Config) (*Result, error) {
	cfg, err := validate(in)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Mode == ModeHost:
		return &Result{}, nil
	case strings.HasPrefix(cfg.Mode, ModeContainer):
		// The other container's namespace is already set up; bringing lo up again is harmless.
		if err := loopbackUp(cfg.NetnsPath); err != nil {
			return nil, err
		}
		return &Result{}, nil
	case cfg.Mode == ModeNone:
		if err := loopbackUp(cfg.NetnsPath); err != nil {
			return nil, err
		}
		return &Result{Interface: "lo", IP: net.IPv4(127, 0, 0, 1).To4(), Prefix: 8}, nil
	}
	s, err := openStore(cfg.StoreDir)
	if err != nil {
		return nil, err
	}
	defer s.close()
	return setupBridge(s, cfg)
}

// undo is a stack of cleanups run in reverse order when a setup step fails.
type undo []func()

func (u *undo) push(f func()) { *u = append(*u, f) }
func (u *undo) run() {
	for i := len(*u) - 1; i >= 0; i-- {
		(*u)[i]()
	}
}

func setupBridge(s *store, cfg *Config) (res *Result, err error) {
	var u undo
	defer func() {
		if err != nil {
			u.run()
		}
	}()
	sn, _ := parseSubnet(cfg.Subnet) // validated

	// An old state for this id: refuse if it is alive, clean it if it is a leftover.
	if old, lerr := s.loadEndpoint(cfg.ID); lerr == nil {
		if linkExists(old.HostVeth) {
			return nil, fmt.Errorf("network setup %s: container already connected (host veth %s exists); tear it down first", cfg.ID, old.HostVeth)
		}
		if terr := teardownLocked(s, cfg.ID); terr != nil {
			return nil, fmt.Errorf("network setup %s: clean stale state: %w", cfg.ID, terr)
		}
	}
	ns, err := netns.GetFromPath(cfg.NetnsPath)
	if err != nil {
		return nil, fmt.Errorf("network setup: open netns %s: %w", cfg.NetnsPath, err)
	}
	defer ns.Close()
	// A wrong path must not turn the host's own namespace into a "container" (eth0, default
	// route). Setup runs on an unlocked thread, which is always in the host's namespace.
	if cur, err := netns.Get(); err == nil {
		same := cur.Equal(ns)
		cur.Close()
		if same {
			return nil, fmt.Errorf("network setup: netns %s is the host's own network namespace (use --network host)", cfg.NetnsPath)
		}
	}

	eps, err := s.endpoints()
	if err != nil {
		return nil, err
	}
	if err := checkPorts(cfg, eps); err != nil {
		return nil, err
	}
	br, created, err := ensureBridge(s, cfg, sn)
	if err != nil {
		return nil, err
	}
	if created {
		u.push(func() {
			removeRules(bridgeTableName(br.Name))
			deleteLink(br.Name)
			os.Remove(s.bridgePath(br.Name))
			os.Remove(s.leaseDir(br.Name))
		})
	}
	ip, err := allocate(s, cfg, sn, eps)
	if err != nil {
		return nil, err
	}
	e := &endpoint{
		ID: cfg.ID, Name: cfg.Name, Mode: cfg.Mode, Bridge: cfg.Bridge, Subnet: sn.net.String(),
		IP: ip.String(), Gateway: sn.gateway.String(), Prefix: sn.prefix, MAC: macFor(ip).String(),
		MTU: br.MTU, HostVeth: hostVethName(cfg.ID), Table: tableName(cfg.ID), Ports: cfg.Ports,
		NetnsPath: cfg.NetnsPath, Created: time.Now().UTC(),
	}
	if linkExists(e.HostVeth) {
		return nil, fmt.Errorf("network setup %s: host veth %s already exists (hash clash or another runtime's link)", cfg.ID, e.HostVeth)
	}
	// State first: a crash from here on is cleaned by Teardown(id) or Prune.
	if err := s.saveEndpoint(e); err != nil {
		return nil, err
	}
	u.push(func() { os.Remove(s.endpointPath(e.ID)) })
	if err := s.takeLease(e.Bridge, e.IP, e.ID); err != nil {
		return nil, err
	}
	u.push(func() { os.Remove(filepath.Join(s.leaseDir(e.Bridge), e.IP)) })

	if err := createVeth(e, br, ns); err != nil {
		return nil, err
	}
	u.push(func() { deleteLink(e.HostVeth) })
	if err := configureInside(e, ns); err != nil {
		return nil, err
	}
	if err := installRules(e); err != nil {
		return nil, err
	}
	u.push(func() { removeRules(e.Table) })
	waitForwarding(e.HostVeth, 2*time.Second)
	return e.result(), nil
}

func (e *endpoint) result() *Result {
	return &Result{Interface: "eth0", IP: net.ParseIP(e.IP).To4(), Gateway: net.ParseIP(e.Gateway).To4(),
		Prefix: e.Prefix, MAC: e.MAC, HostVeth: e.HostVeth}
}

// checkPorts refuses a host port that another container publishes or that a host process has
// bound (found by binding it for a moment).
func checkPorts(cfg *Config, eps []*endpoint) error {
	for _, p := range cfg.Ports {
		for _, e := range eps {
			for _, q := range e.Ports {
				if q.Protocol == p.Protocol && q.HostPort == p.HostPort && (q.HostIP == "" || p.HostIP == "" || q.HostIP == p.HostIP) {
					return fmt.Errorf("publish port %s: host port already published by container %s (%s)", p, e.ID, q)
				}
			}
		}
		host := p.HostIP
		if host == "" {
			host = "0.0.0.0"
		}
		addr := net.JoinHostPort(host, strconv.Itoa(int(p.HostPort)))
		if p.Protocol == "udp" {
			c, err := net.ListenPacket("udp4", addr)
			if err != nil {
				return fmt.Errorf("publish port %s: bind %s/udp on the host: %w", p, addr, err)
			}
			c.Close()
		} else {
			l, err := net.Listen("tcp4", addr)
			if err != nil {
				return fmt.Errorf("publish port %s: bind %s/tcp on the host: %w", p, addr, err)
			}
			l.Close()
		}
	}
	return nil
}

// ensureBridge creates the bridge with the gateway address if it is absent, or checks that the
// existing one serves the same subnet. The bridge is shared: it stays until Prune.
func ensureBridge(s *store, cfg *Config, sn *subnet) (st *bridgeState, created bool, err error) {
	st, err = ensureBridge1(s, cfg, sn, &created)
	return st, created, err
}

func ensureBridge1(s *store, cfg *Config, sn *subnet, created *bool) (*bridgeState, error) {
	st, serr := s.loadBridge(cfg.Bridge)
	if serr == nil && st.Subnet != sn.net.String() {
		return nil, fmt.Errorf("network setup: bridge %s has subnet %s, not %s", cfg.Bridge, st.Subnet, sn.net)
	}
	link, err := netlink.LinkByName(cfg.Bridge)
	if err == nil {
		if _, ok := link.(*netlink.Bridge); !ok {
			return nil, fmt.Errorf("network setup: %s exists and is a %s, not a bridge", cfg.Bridge, link.Type())
		}
		if st == nil {
			return nil, fmt.Errorf("network setup: bridge %s exists but was not created by minictr (no %s)", cfg.Bridge, s.bridgePath(cfg.Bridge))
		}
		// Repair what a crash or a user might have undone.
		if err := bridgeAddrUp(link, sn); err != nil {
			return nil, err
		}
		if err := installBridgeRules(cfg.Bridge); err != nil {
			return nil, err
		}
		return st, hostSysctls(cfg.Bridge)
	}
	if err := checkSubnetFree(sn, cfg.Bridge); err != nil {
		return nil, err
	}
	mtu := cfg.MTU
	if mtu == 0 {
		mtu = defaultMTU()
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: cfg.Bridge, MTU: mtu}}
	if err := netlink.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("network setup: create bridge %s: %w", cfg.Bridge, err)
	}
	link, err = netlink.LinkByName(cfg.Bridge)
	if err == nil {
		err = bridgeAddrUp(link, sn)
	}
	if err == nil {
		err = installBridgeRules(cfg.Bridge) // before route_localnet is turned on
	}
	if err == nil {
		err = hostSysctls(cfg.Bridge)
	}
	if err == nil {
		st = &bridgeState{Name: cfg.Bridge, Subnet: sn.net.String(), Gateway: sn.gateway.String(), MTU: mtu, Created: time.Now().UTC()}
		err = writeJSON(s.bridgePath(cfg.Bridge), st)
	}
	if err != nil {
		removeRules(bridgeTableName(cfg.Bridge))
		deleteLink(cfg.Bridge)
		return nil, err
	}
	*created = true
	return st, nil
}

func bridgeAddrUp(link netlink.Link, sn *subnet) error {
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: sn.gateway, Mask: sn.net.Mask}}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("network setup: add address %s to bridge %s: %w", addr.IPNet, link.Attrs().Name, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("network setup: set bridge %s up: %w", link.Attrs().Name, err)
	}
	return nil
}

// checkSubnetFree refuses a subnet that overlaps a route the host already has.
func checkSubnetFree(sn *subnet, bridge string) error {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("network setup: list host routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			continue
		}
		if r.Dst.Contains(sn.net.IP) || sn.net.Contains(r.Dst.IP) {
			dev := strconv.Itoa(r.LinkIndex)
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
				dev = l.Attrs().Name
			}
			return fmt.Errorf("invalid subnet %s for bridge %s: overlaps the host route %s dev %s", sn.net, bridge, r.Dst, dev)
		}
	}
	return nil
}

// hostSysctls: forwarding on (containers reach the outside), and route_localnet on the bridge
// so that the host's 127.0.0.1:port can be DNATed to a container.
func hostSysctls(bridge string) error {
	if err := writeSysctl("/proc/sys/net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	return writeSysctl("/proc/sys/net/ipv4/conf/"+bridge+"/route_localnet", "1")
}

func writeSysctl(path, val string) error {
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == val {
		return nil
	}
	if err := os.WriteFile(path, []byte(val), 0o644); err != nil {
		return fmt.Errorf("network setup: write %s = %s: %w", path, val, err)
	}
	return nil
}

// defaultMTU is the MTU of the interface holding the host's default route, so that container
// packets fit the uplink without relying on path MTU discovery.
func defaultMTU() int {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err == nil {
		for _, r := range routes {
			if r.Dst == nil || r.Dst.IP.IsUnspecified() {
				if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil && l.Attrs().MTU >= 576 {
					return l.Attrs().MTU
				}
			}
		}
	}
	return 1500
}

// allocate returns the lowest free address. A lease whose container is gone (no state, or its
// host veth vanished with its netns) is reclaimed, with the rest of that container's leftovers.
func allocate(s *store, cfg *Config, sn *subnet, eps []*endpoint) (net.IP, error) {
	leases, err := s.leases(cfg.Bridge)
	if err != nil {
		return nil, err
	}
	byID := map[string]*endpoint{}
	for _, e := range eps {
		byID[e.ID] = e
	}
	var firstErr error
	for u := sn.first; u <= sn.last; u++ {
		ip := u2ip(u)
		holder, taken := leases[ip.String()]
		if !taken {
			return ip, nil
		}
		e := byID[holder]
		if e != nil && linkExists(e.HostVeth) {
			continue
		}
		// Stale: the holder's container is gone.
		if e != nil {
			err = teardownLocked(s, holder)
		} else {
			err = os.Remove(filepath.Join(s.leaseDir(cfg.Bridge), ip.String()))
		}
		if err == nil {
			return ip, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, fmt.Errorf("ipam: subnet %s of bridge %s is full (reclaiming a stale lease failed: %w)", sn.net, cfg.Bridge, firstErr)
	}
	return nil, fmt.Errorf("ipam: subnet %s of bridge %s is full (%d addresses in use)", sn.net, cfg.Bridge, len(leases))
}

// macFor gives a locally administered MAC derived from the address (02:6d:ip), so a reused
// address keeps its MAC and neighbours' ARP caches stay right.
func macFor(ip net.IP) net.HardwareAddr {
	ip = ip.To4()
	return net.HardwareAddr{0x02, 0x6d, ip[0], ip[1], ip[2], ip[3]}
}

func createVeth(e *endpoint, br *bridgeState, ns netns.NsHandle) error {
	bridge, err := netlink.LinkByName(e.Bridge)
	if err != nil {
		return fmt.Errorf("network setup: find bridge %s: %w", e.Bridge, err)
	}
	mac, _ := net.ParseMAC(e.MAC)
	// The peer is created directly inside the container's netns under its final name, so it is
	// never visible on the host and no rename is needed.
	v := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: e.HostVeth, MTU: br.MTU, MasterIndex: bridge.Attrs().Index},
		PeerName:         "eth0",
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsFd(int(ns)),
		PeerMTU:          uint32(br.MTU),
	}
	if err := netlink.LinkAdd(v); err != nil {
		return fmt.Errorf("network setup: create veth %s (peer eth0 in %s): %w", e.HostVeth, e.NetnsPath, err)
	}
	host, err := netlink.LinkByName(e.HostVeth)
	if err == nil {
		// Hairpin: with br_netfilter, a container reaching its own published port is DNATed at
		// the bridge and must be sent back out of the port it came in on.
		if err = netlink.LinkSetHairpin(host, true); err != nil {
			err = fmt.Errorf("set hairpin mode on bridge port %s: %w", e.HostVeth, err)
		} else if err = netlink.LinkSetUp(host); err != nil {
			err = fmt.Errorf("set host veth %s up: %w", e.HostVeth, err)
		}
	}
	if err != nil {
		deleteLink(e.HostVeth)
		return fmt.Errorf("network setup: %w", err)
	}
	return nil
}

// waitForwarding waits until the bridge forwards through the port: the kernel turns a port on
// only when it sees the carrier come up, an event it may batch for up to a second. Without the
// wait, a container's first packets (a DNS query, a SYN) can be dropped and retried seconds
// later. Best effort: on timeout (a bridge with STP turned on by hand, say) Setup still returns.
func waitForwarding(port string, timeout time.Duration) {
	state := "/sys/class/net/" + port + "/brport/state"
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(state); err != nil || strings.TrimSpace(string(b)) == "3" { // BR_STATE_FORWARDING
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// configureInside sets lo and eth0 up, eth0's address and the default route, through a netlink
// handle opened in the container's netns (no thread switching).
func configureInside(e *endpoint, ns netns.NsHandle) error {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("network setup: netlink in %s: %w", e.NetnsPath, err)
	}
	defer h.Close()
	if err := linkUp(h, "lo"); err != nil {
		return fmt.Errorf("network setup: in %s: %w", e.NetnsPath, err)
	}
	eth, err := h.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("network setup: find eth0 in %s: %w", e.NetnsPath, err)
	}
	ipnet := &net.IPNet{IP: net.ParseIP(e.IP).To4(), Mask: net.CIDRMask(e.Prefix, 32)}
	if err := h.AddrAdd(eth, &netlink.Addr{IPNet: ipnet}); err != nil {
		return fmt.Errorf("network setup: add address %s to eth0 in %s: %w", ipnet, e.NetnsPath, err)
	}
	if err := h.LinkSetUp(eth); err != nil {
		return fmt.Errorf("network setup: set eth0 up in %s: %w", e.NetnsPath, err)
	}
	// The host forwards container-to-published-port traffic back out of the bridge, and tells
	// the sender with an ICMP redirect to go straight to the target; the sender would then send
	// packets meant for the gateway to the target's MAC, which drops them. A container has one
	// router and no use for redirects.
	if err := nsSysctls(ns, map[string]string{
		"/proc/sys/net/ipv4/conf/all/accept_redirects":  "0",
		"/proc/sys/net/ipv4/conf/eth0/accept_redirects": "0",
	}); err != nil {
		return fmt.Errorf("network setup: in %s: %w", e.NetnsPath, err)
	}
	gw := net.ParseIP(e.Gateway).To4()
	if err := h.RouteAdd(&netlink.Route{LinkIndex: eth.Attrs().Index, Gw: gw}); err != nil {
		return fmt.Errorf("network setup: add default route via %s in %s: %w", gw, e.NetnsPath, err)
	}
	return nil
}

// nsSysctls writes sysctls of another network namespace: /proc/sys/net shows the namespace of
// the thread that opens it, so a locked thread switches in, writes, and switches back. If it
// cannot switch back the thread stays locked and dies with its goroutine.
func nsSysctls(ns netns.NsHandle, kv map[string]string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter netns: %w", err)
			return
		}
		var werr error
		for k, v := range kv {
			if err := os.WriteFile(k, []byte(v), 0o644); err != nil && werr == nil {
				werr = fmt.Errorf("write %s = %s: %w", k, v, err)
			}
		}
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- werr
	}()
	return <-errc
}

func loopbackUp(path string) error {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("network setup: open netns %s: %w", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("network setup: netlink in %s: %w", path, err)
	}
	defer h.Close()
	if err := linkUp(h, "lo"); err != nil {
		return fmt.Errorf("network setup: in %s: %w", path, err)
	}
	return nil
}

func linkUp(h *netlink.Handle, name string) error {
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	return nil
}

func linkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// deleteLink removes a host link; a missing link is not an error.
func deleteLink(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("find link %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("delete link %s: %w", name, err)
	}
	return nil
}

// Teardown removes the container's veth (if it still exists), lease, rules and saved state, and
// its line from the /etc/hosts of other containers. It is idempotent and needs nothing but the
// id: the names are derived from it, so it also cleans a Setup that crashed before saving.
func Teardown(storeDir, id string) error {
	if id == "" || strings.ContainsAny(id, "/\x00\n") || strings.HasPrefix(id, ".") || len(id) > 200 {
		return fmt.Errorf("network teardown: bad container id %q", id)
	}
	if _, err := os.Stat(netDir(storeDir)); errors.Is(err, fs.ErrNotExist) {
		return nil // never set up anything
	}
	s, err := openStore(storeDir)
	if err != nil {
		return err
	}
	defer s.close()
	return teardownLocked(s, id)
}

func teardownLocked(s *store, id string) error {
	e, err := s.loadEndpoint(id)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		e = nil // unreadable state: clean by derived names
	}
	veth, table, bridge := hostVethName(id), tableName(id), ""
	if e != nil {
		veth, table, bridge = e.HostVeth, e.Table, e.Bridge
	}
	// Deleting a veth and an nftables table each wait for an RCU grace period in the kernel
	// (tens of ms on a busy host); done side by side they cost one wait instead of two.
	var linkErr error
	done := make(chan struct{})
	go func() { linkErr = deleteLink(veth); close(done) }()
	var errs []error
	if err := removeRules(table); err != nil {
		errs = append(errs, fmt.Errorf("network teardown %s: %w", id, err))
	}
	<-done
	if linkErr != nil {
		errs = append(errs, fmt.Errorf("network teardown %s: %w", id, linkErr))
	}
	if err := s.releaseLeases(bridge, id); err != nil {
		errs = append(errs, fmt.Errorf("network teardown %s: %w", id, err))
	}
	if len(errs) > 0 {
		return errors.Join(errs...) // keep the state so a retry knows what to remove
	}
	if err := os.Remove(s.endpointPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("network teardown %s: remove state: %w", id, err)
	}
	if e != nil && e.Name != "" {
		refreshPeersHosts(s, e.Bridge)
	}
	return nil
}
