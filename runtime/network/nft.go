package network

import (
	"fmt"
	"net"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Each container gets its own nftables table, "ip minictr_<hash>", with three NAT base chains:
//
//	prerouting  (dstnat)  published ports, for traffic arriving from outside or from containers
//	output      (dstnat)  published ports, for traffic from the host itself (127.0.0.1 included)
//	postrouting (srcnat)  masquerade of the container's traffic leaving the host, of host
//	                      loopback traffic DNATed to it (source 127.x is not routable), and of
//	                      hairpin traffic (a container reaching itself through its own port)
//
// A table per container costs one hook traversal per table, but makes removal exact: deleting
// the table removes every rule it had, and nothing shared is ever edited. Rules written in nft
// syntax are in docs/network.md.

func natChains(t *nftables.Table) (pre, out, post *nftables.Chain) {
	pre = &nftables.Chain{Name: "prerouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest}
	out = &nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest}
	post = &nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource}
	return
}

// installRules creates the container's table in one netlink batch (all or nothing).
func installRules(e *endpoint) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: open netlink: %w", err)
	}
	ip := net.ParseIP(e.IP).To4()
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: e.Table})
	pre, out, post := natChains(t)
	c.AddChain(pre)
	c.AddChain(out)
	c.AddChain(post)
	for _, p := range e.Ports {
		proto := byte(unix.IPPROTO_TCP)
		if p.Protocol == "udp" {
			proto = unix.IPPROTO_UDP
		}
		var dst []expr.Any
		if p.HostIP == "" {
			dst = fibDaddrLocal() // any local address of the host, loopback included
		} else {
			dst = matchIP(16, net.ParseIP(p.HostIP).To4(), expr.CmpOpEq)
		}
		match := append(dst, matchL4Port(proto, p.HostPort)...)
		dnat := []expr.Any{
			&expr.Immediate{Register: 1, Data: ip},
			&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(p.ContainerPort)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: pre, Exprs: concat(match, dnat)})
		c.AddRule(&nftables.Rule{Table: t, Chain: out, Exprs: concat(match, dnat)})
	}
	// Outbound: from the container, leaving through anything but the bridge.
	c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: concat(
		matchIP(12, ip, expr.CmpOpEq), matchOif(e.Bridge, expr.CmpOpNeq), []expr.Any{&expr.Masq{}})})
	if len(e.Ports) > 0 {
		// Host loopback -> container: source 127.0.0.0/8 must become the gateway address.
		c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: concat(
			matchNet(12, net.IPv4(127, 0, 0, 0).To4(), net.CIDRMask(8, 32)),
			matchIP(16, ip, expr.CmpOpEq), matchOif(e.Bridge, expr.CmpOpEq), []expr.Any{&expr.Masq{}})})
		// Hairpin: a container of the bridge (this one included) reaching this one through a
		// published port. Without it the reply would go straight back over the bridge, from
		// an address the client never talked to.
		_, sn, _ := net.ParseCIDR(e.Subnet)
		c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: concat(
			matchNet(12, sn.IP.To4(), sn.Mask), matchIP(16, ip, expr.CmpOpEq), matchOif(e.Bridge, expr.CmpOpEq),
			ctStatusDNAT(), []expr.Any{&expr.Masq{}})})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: create table ip %s: %w", e.Table, err)
	}
	return nil
}

// bridgeTableName is the table of rules shared by every container of a bridge.
func bridgeTableName(bridge string) string { return "minictr_br_" + bridge }

// installBridgeRules guards the host against its own route_localnet: with it set on the bridge,
// a container could send packets to 127.0.0.1 through the gateway and reach services the host
// binds to loopback. Such packets are dropped before any NAT (priority raw). Replies to the
// host's loopback clients are not affected: they arrive addressed to the gateway and are
// un-NATed later. Idempotent: an existing table is kept.
func installBridgeRules(bridge string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: open netlink: %w", err)
	}
	name := bridgeTableName(bridge)
	if present, err := tablePresent(c, name); err != nil || present {
		return err
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: name})
	pre := c.AddChain(&nftables.Chain{Name: "prerouting", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityRaw})
	c.AddRule(&nftables.Rule{Table: t, Chain: pre, Exprs: concat(
		matchIif(bridge), matchNet(16, net.IPv4(127, 0, 0, 0).To4(), net.CIDRMask(8, 32)),
		[]expr.Any{&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop}})})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: create table ip %s: %w", name, err)
	}
	return nil
}

func tablePresent(c *nftables.Conn, name string) (bool, error) {
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return false, fmt.Errorf("nftables: list tables: %w", err)
	}
	for _, t := range tables {
		if t.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// removeRules deletes the table if it exists.
func removeRules(name string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: open netlink: %w", err)
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return fmt.Errorf("nftables: list tables: %w", err)
	}
	for _, t := range tables {
		if t.Name == name {
			c.DelTable(t)
			if err := c.Flush(); err != nil {
				return fmt.Errorf("nftables: delete table ip %s: %w", name, err)
			}
		}
	}
	return nil
}

// ourTables lists the names of the per-container tables present in the kernel (not the
// per-bridge ones).
func ourTables() ([]string, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: open netlink: %w", err)
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return nil, fmt.Errorf("nftables: list tables: %w", err)
	}
	var out []string
	for _, t := range tables {
		if strings.HasPrefix(t.Name, "minictr_") && !strings.HasPrefix(t.Name, "minictr_br_") {
			out = append(out, t.Name)
		}
	}
	return out, nil
}

func concat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// matchIP compares the IPv4 header field at offset (12 source, 16 destination).
func matchIP(offset uint32, ip net.IP, op expr.CmpOp) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Cmp{Op: op, Register: 1, Data: ip},
	}
}

func matchNet(offset uint32, ip net.IP, mask net.IPMask) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip},
	}
}

func matchL4Port(proto byte, port uint16) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(port)},
	}
}

func matchIif(name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b},
	}
}

func matchOif(name string, op expr.CmpOp) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: b},
	}
}

func fibDaddrLocal() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

// ipsDstNAT is IPS_DST_NAT of the conntrack status bits (linux/netfilter/nf_conntrack_common.h).
const ipsDstNAT uint32 = 1 << 5

func ctStatusDNAT() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
	}
}
