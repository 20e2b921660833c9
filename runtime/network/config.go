// Package network connects containers to the host: loopback in every new network namespace, and
// for the "bridge" mode a Linux bridge, a veth pair per container, an address from a file-based
// IPAM, a default route, published ports (nftables DNAT) and outbound masquerade.
//
// Everything a container gets is named after a hash of its id (host veth "mc<hash>", nftables
// table "minictr_<hash>", a lease file holding the id), and recorded in
// <store>/network/containers/<id>.json before it is created, so Teardown removes exactly that
// container's pieces, also after a crash of minictr or of the container.
//
// Files under <store>/network:
//
//	lock                       flock held by Setup, Teardown, WriteEtcFiles and Prune
//	networks/<bridge>.json     subnet, gateway and MTU of each bridge we created
//	leases/<bridge>/<ip>       one file per address in use; its content is the container id
//	containers/<id>.json       what Setup made for a container (see endpoint)
package network

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// Defaults. The subnet avoids docker's 172.17.0.0/16, podman's 10.88.0.0/16, libvirt's
// 192.168.122.0/24 and the usual Kubernetes ranges (10.42, 10.43, 10.96, 10.244).
const (
	DefaultBridge   = "minictr0"
	DefaultSubnet   = "10.129.0.0/24"
	DefaultStoreDir = "/var/lib/minictr"
)

// PortMapping publishes ContainerPort of the container on HostPort of the host. An empty HostIP
// means every local address of the host (including 127.0.0.1).
type PortMapping struct {
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Protocol      string `json:"protocol"` // tcp or udp
}

func (p PortMapping) String() string {
	h := p.HostIP
	if h == "" {
		h = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d->%d/%s", h, p.HostPort, p.ContainerPort, p.Protocol)
}

// Config says how to connect one container.
type Config struct {
	ID        string // container id
	Name      string // container name, for /etc/hosts of other containers on the bridge
	Mode      string // "none" | "host" | "bridge" | "container:<id>" (then NetnsPath is the other container's netns)
	NetnsPath string // e.g. /proc/<pid>/ns/net of the container init; unused for "host"
	Bridge    string // default DefaultBridge
	Subnet    string // default DefaultSubnet; must match the bridge's if the bridge exists
	Ports     []PortMapping
	StoreDir  string // default DefaultStoreDir; state lives under StoreDir/network
	Hostname  string
	MTU       int      // 0: the MTU of the host's default-route interface (1500 if none)
	DNS       []string // nameservers for resolv.conf; empty: the host's, minus loopback ones
}

// Result is what a container got.
type Result struct {
	Interface string // "eth0" (bridge), "lo" (none), "" (host, container:)
	IP        net.IP
	Gateway   net.IP
	Prefix    int
	MAC       string
	HostVeth  string
}

// Mode names.
const (
	ModeNone      = "none"
	ModeHost      = "host"
	ModeBridge    = "bridge"
	ModeContainer = "container:"
)

// shortHash is the first 10 hex digits of sha256(id): short enough for a 15-byte interface name.
func shortHash(id string) string {
	s := sha256.Sum256([]byte(id))
	return hex.EncodeToString(s[:])[:10]
}

func hostVethName(id string) string { return "mc" + shortHash(id) }
func tableName(id string) string    { return "minictr_" + shortHash(id) }

func netDir(storeDir string) string {
	if storeDir == "" {
		storeDir = DefaultStoreDir
	}
	return filepath.Join(storeDir, "network")
}

// validate fills defaults into a copy of cfg and checks every field; it touches nothing.
func validate(in *Config) (*Config, error) {
	if in == nil {
		return nil, fmt.Errorf("network config: nil")
	}
	cfg := *in
	if cfg.ID == "" {
		return nil, fmt.Errorf("network config: empty container id")
	}
	if strings.ContainsAny(cfg.ID, "/\x00\n") || strings.HasPrefix(cfg.ID, ".") || len(cfg.ID) > 200 {
		return nil, fmt.Errorf("network config: container id %q: must not start with '.', contain '/' or a newline, or exceed 200 bytes", cfg.ID)
	}
	if cfg.StoreDir == "" {
		cfg.StoreDir = DefaultStoreDir
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeBridge
	}
	switch {
	case cfg.Mode == ModeNone, cfg.Mode == ModeBridge:
		if cfg.NetnsPath == "" {
			return nil, fmt.Errorf("network config: mode %q needs the container's netns path", cfg.Mode)
		}
	case cfg.Mode == ModeHost:
	case strings.HasPrefix(cfg.Mode, ModeContainer) && len(cfg.Mode) > len(ModeContainer):
		if cfg.NetnsPath == "" {
			return nil, fmt.Errorf("network config: mode %q needs the netns path of that container", cfg.Mode)
		}
	default:
		return nil, fmt.Errorf("network config: unknown network mode %q (expected none, host, bridge or container:<id>)", cfg.Mode)
	}
	if cfg.Name != "" && !validHostname(cfg.Name) {
		return nil, fmt.Errorf("network config: container name %q: not usable as a host name (letters, digits, '-', '.', '_', at most 253 bytes)", cfg.Name)
	}
	if cfg.Hostname != "" && !validHostname(cfg.Hostname) {
		return nil, fmt.Errorf("network config: hostname %q: letters, digits, '-', '.', '_', at most 253 bytes", cfg.Hostname)
	}
	for _, d := range cfg.DNS {
		if net.ParseIP(d) == nil {
			return nil, fmt.Errorf("network config: dns server %q: not an IP address", d)
		}
	}
	if cfg.MTU != 0 && (cfg.MTU < 576 || cfg.MTU > 65535) {
		return nil, fmt.Errorf("network config: mtu %d: must be between 576 and 65535", cfg.MTU)
	}
	if cfg.Mode != ModeBridge {
		if len(cfg.Ports) > 0 {
			return nil, fmt.Errorf("network config: published ports need --network bridge, not %q", cfg.Mode)
		}
		return &cfg, nil
	}
	if cfg.Bridge == "" {
		cfg.Bridge = DefaultBridge
	}
	if err := validIfName(cfg.Bridge); err != nil {
		return nil, fmt.Errorf("network config: bridge name: %w", err)
	}
	if cfg.Subnet == "" {
		cfg.Subnet = DefaultSubnet
	}
	if _, err := parseSubnet(cfg.Subnet); err != nil {
		return nil, fmt.Errorf("network config: %w", err)
	}
	seen := map[string]bool{}
	for i := range cfg.Ports {
		p, err := normalizePort(cfg.Ports[i])
		if err != nil {
			return nil, fmt.Errorf("network config: port %d: %w", i, err)
		}
		cfg.Ports[i] = p
		k := fmt.Sprintf("%d/%s", p.HostPort, p.Protocol)
		if seen[k] {
			return nil, fmt.Errorf("network config: host port %s published twice", k)
		}
		seen[k] = true
	}
	cfg.Ports = append([]PortMapping(nil), cfg.Ports...)
	return &cfg, nil
}

// subnet is a parsed IPv4 subnet with the addresses IPAM hands out.
type subnet struct {
	net     *net.IPNet
	prefix  int
	gateway net.IP // first address
	first   uint32 // first address for containers (network + 2)
	last    uint32 // last address for containers (broadcast - 1)
}

func parseSubnet(s string) (*subnet, error) {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("invalid subnet %q: expected an IPv4 CIDR such as %s", s, DefaultSubnet)
	}
	if ip.To4() == nil {
		return nil, fmt.Errorf("invalid subnet %q: only IPv4 is supported", s)
	}
	if !ip.Equal(n.IP) {
		return nil, fmt.Errorf("invalid subnet %q: host bits set (did you mean %s?)", s, n)
	}
	ones, _ := n.Mask.Size()
	if ones < 8 || ones > 29 {
		return nil, fmt.Errorf("invalid subnet %q: prefix length must be between 8 and 29", s)
	}
	if ip.IsLoopback() || ip.IsMulticast() || ip.IsUnspecified() || n.Contains(net.IPv4bcast) {
		return nil, fmt.Errorf("invalid subnet %q: loopback, multicast or reserved range", s)
	}
	base := ip2u(n.IP)
	size := uint32(1) << (32 - ones)
	return &subnet{net: n, prefix: ones, gateway: u2ip(base + 1), first: base + 2, last: base + size - 2}, nil
}

func ip2u(ip net.IP) uint32 {
	ip = ip.To4()
	return uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
}

func u2ip(u uint32) net.IP { return net.IPv4(byte(u>>24), byte(u>>16), byte(u>>8), byte(u)).To4() }

func validIfName(s string) error {
	if s == "" || len(s) > 15 {
		return fmt.Errorf("%q: interface names are 1 to 15 bytes", s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || s == "." || s == ".." {
			return fmt.Errorf("%q: only letters, digits, '-', '_' and '.' are allowed", s)
		}
	}
	return nil
}

func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// ParsePort parses a -p value: [hostip:]hostport:containerport[/tcp|/udp].
func ParsePort(spec string) (PortMapping, error) {
	var p PortMapping
	s := spec
	p.Protocol = "tcp"
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		p.Protocol = strings.ToLower(s[i+1:])
		s = s[:i]
		if p.Protocol != "tcp" && p.Protocol != "udp" {
			return p, fmt.Errorf("bad port spec %q: protocol %q: expected tcp or udp", spec, p.Protocol)
		}
	}
	parts := strings.Split(s, ":")
	var hostPort, ctrPort string
	switch len(parts) {
	case 2:
		hostPort, ctrPort = parts[0], parts[1]
	case 3:
		p.HostIP, hostPort, ctrPort = parts[0], parts[1], parts[2]
	default:
		return p, fmt.Errorf("bad port spec %q: expected [hostip:]hostport:containerport[/tcp|udp]", spec)
	}
	hp, err := parsePortNumber(hostPort)
	if err != nil {
		return p, fmt.Errorf("bad port spec %q: host port: %w", spec, err)
	}
	cp, err := parsePortNumber(ctrPort)
	if err != nil {
		return p, fmt.Errorf("bad port spec %q: container port: %w", spec, err)
	}
	p.HostPort, p.ContainerPort = hp, cp
	p, err = normalizePort(p)
	if err != nil {
		return p, fmt.Errorf("bad port spec %q: %w", spec, err)
	}
	return p, nil
}

func parsePortNumber(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}

func normalizePort(p PortMapping) (PortMapping, error) {
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	p.Protocol = strings.ToLower(p.Protocol)
	if p.Protocol != "tcp" && p.Protocol != "udp" {
		return p, fmt.Errorf("protocol %q: expected tcp or udp", p.Protocol)
	}
	if p.HostPort == 0 || p.ContainerPort == 0 {
		return p, fmt.Errorf("ports must be between 1 and 65535 (host %d, container %d)", p.HostPort, p.ContainerPort)
	}
	if p.HostIP != "" {
		ip := net.ParseIP(p.HostIP)
		if ip == nil || ip.To4() == nil {
			return p, fmt.Errorf("host ip %q: expected an IPv4 address", p.HostIP)
		}
		if ip.IsUnspecified() {
			p.HostIP = ""
		} else {
			p.HostIP = ip.To4().String()
		}
	}
	return p, nil
}
