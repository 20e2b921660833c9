package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Host files holding the host's resolver configuration, first match wins. systemd-resolved's
// upstream list comes first because /etc/resolv.conf then names only its 127.0.0.53 stub.
var resolvSources = []string{"/run/systemd/resolve/resolv.conf", "/etc/resolv.conf"}

// fallbackDNS is used when the host names no nameserver a container can reach.
var fallbackDNS = []string{"8.8.8.8", "8.8.4.4"}

// WriteEtcFiles writes hosts, hostname and resolv.conf into dir and returns their paths, for
// the caller to bind-mount over the container's /etc files. For a bridge container, hosts lists
// every named container on the same bridge, and the hosts files of those containers are
// rewritten in place (same inode, so their bind mounts see it) to list this one.
//
// It may be called twice: before the container's netns exists (res nil; NetnsPath may be empty),
// so the files can be bind-mounted while the rootfs is prepared, and again after Setup to fill
// in the address; the second call rewrites the same files in place.
func WriteEtcFiles(dir string, in *Config, res *Result) (hosts, hostname, resolv string, err error) {
	if in != nil && in.NetnsPath == "" {
		c := *in
		c.NetnsPath = "(not needed for /etc files)"
		in = &c
	}
	cfg, err := validate(in)
	if err != nil {
		return "", "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", "", fmt.Errorf("write etc files: mkdir %s: %w", dir, err)
	}
	hosts, hostname, resolv = filepath.Join(dir, "hosts"), filepath.Join(dir, "hostname"), filepath.Join(dir, "resolv.conf")
	hn := cfg.Hostname
	if hn == "" {
		hn = cfg.Name
	}
	if hn == "" {
		hn = cfg.ID
		if len(hn) > 12 {
			hn = hn[:12]
		}
	}
	if err := writeFileInPlace(hostname, []byte(hn+"\n")); err != nil {
		return "", "", "", err
	}
	rc, err := resolvConf(cfg.DNS)
	if err != nil {
		return "", "", "", err
	}
	if err := writeFileInPlace(resolv, rc); err != nil {
		return "", "", "", err
	}

	self := &endpoint{ID: cfg.ID, Name: cfg.Name}
	if res != nil && res.IP != nil && !res.IP.IsLoopback() {
		self.IP = res.IP.String()
	}
	if cfg.Mode != ModeBridge || self.IP == "" {
		if err := writeFileInPlace(hosts, hostsContent(self, hn, nil)); err != nil {
			return "", "", "", err
		}
		return hosts, hostname, resolv, nil
	}
	s, err := openStore(cfg.StoreDir)
	if err != nil {
		return "", "", "", err
	}
	defer s.close()
	e, lerr := s.loadEndpoint(cfg.ID)
	eps, err := s.endpoints()
	if err != nil {
		return "", "", "", err
	}
	var peers []*endpoint
	for _, p := range eps {
		if p.ID != cfg.ID && p.Bridge == cfg.Bridge {
			peers = append(peers, p)
		}
	}
	if err := writeFileInPlace(hosts, hostsContent(self, hn, peers)); err != nil {
		return "", "", "", err
	}
	if lerr == nil {
		e.HostsPath = hosts
		if err := s.saveEndpoint(e); err != nil {
			return "", "", "", err
		}
	}
	if cfg.Name != "" {
		refreshPeersHosts(s, cfg.Bridge)
	}
	return hosts, hostname, resolv, nil
}

// hostsContent is an /etc/hosts: loopback names, the container itself, then named peers.
func hostsContent(self *endpoint, hostname string, peers []*endpoint) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	names := hostname
	if self.Name != "" && self.Name != hostname {
		names += " " + self.Name
	}
	if self.IP != "" {
		fmt.Fprintf(&b, "%s\t%s\n", self.IP, names)
	} else {
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", names)
	}
	for _, p := range peers {
		if p.Name != "" && p.IP != "" {
			fmt.Fprintf(&b, "%s\t%s\n", p.IP, p.Name)
		}
	}
	return b.Bytes()
}

// refreshPeersHosts rewrites the hosts file of every container on bridge that has one, so names
// of containers started or removed later resolve. Best effort: a container being deleted may
// have lost its file already.
func refreshPeersHosts(s *store, bridge string) {
	eps, err := s.endpoints()
	if err != nil {
		return
	}
	for _, e := range eps {
		if e.Bridge != bridge || e.HostsPath == "" {
			continue
		}
		if _, err := os.Stat(e.HostsPath); err != nil {
			continue
		}
		old, err := os.ReadFile(e.HostsPath)
		if err != nil {
			continue
		}
		// The hostname is the first name on the container's own line.
		hn := e.Name
		for _, line := range strings.Split(string(old), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == e.IP {
				hn = f[1]
				break
			}
		}
		var peers []*endpoint
		for _, p := range eps {
			if p.ID != e.ID && p.Bridge == bridge {
				peers = append(peers, p)
			}
		}
		writeFileInPlace(e.HostsPath, hostsContent(e, hn, peers))
	}
}

// resolvConf is the host's resolver configuration without loopback nameservers (they name the
// host's own stub resolver, unreachable from another netns), or the given servers.
func resolvConf(dns []string) ([]byte, error) {
	var b bytes.Buffer
	if len(dns) > 0 {
		for _, d := range dns {
			fmt.Fprintf(&b, "nameserver %s\n", d)
		}
		return b.Bytes(), nil
	}
	var src []byte
	for _, p := range resolvSources {
		if data, err := os.ReadFile(p); err == nil {
			src = data
			if countNameservers(data) > 0 {
				break
			}
		}
	}
	servers := 0
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			ip := net.ParseIP(f[1])
			if ip == nil || ip.IsLoopback() {
				continue
			}
			servers++
		}
		b.WriteString(line + "\n")
	}
	if servers == 0 {
		for _, d := range fallbackDNS {
			fmt.Fprintf(&b, "nameserver %s\n", d)
		}
	}
	return b.Bytes(), nil
}

func countNameservers(data []byte) int {
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "nameserver" {
			if ip := net.ParseIP(f[1]); ip != nil && !ip.IsLoopback() {
				n++
			}
		}
	}
	return n
}

// writeFileInPlace truncates and rewrites path, keeping its inode, so a bind mount of it shows
// the new content.
func writeFileInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
