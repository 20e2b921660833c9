package network

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"
)

// NetworkInfo describes one bridge network and its containers.
type NetworkInfo struct {
	Name       string         `json:"name"`
	Driver     string         `json:"driver"` // "bridge"
	Subnet     string         `json:"subnet"`
	Gateway    string         `json:"gateway"`
	MTU        int            `json:"mtu"`
	Present    bool           `json:"present"` // the bridge link exists on the host
	Created    time.Time      `json:"created"`
	Containers []EndpointInfo `json:"containers"`
}

// EndpointInfo is one container on a network.
type EndpointInfo struct {
	ID       string        `json:"id"`
	Name     string        `json:"name,omitempty"`
	IP       string        `json:"ip"`
	Prefix   int           `json:"prefix"`
	MAC      string        `json:"mac"`
	HostVeth string        `json:"hostVeth"`
	NftTable string        `json:"nftTable"`
	Ports    []PortMapping `json:"ports,omitempty"`
	Alive    bool          `json:"alive"` // its host veth exists (it vanishes with the container's netns)
}

// List returns every bridge network minictr knows of, sorted by name.
func List(storeDir string) ([]NetworkInfo, error) {
	if _, err := os.Stat(netDir(storeDir)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	s, err := openStore(storeDir)
	if err != nil {
		return nil, err
	}
	defer s.close()
	return list(s)
}

func list(s *store) ([]NetworkInfo, error) {
	brs, err := s.bridges()
	if err != nil {
		return nil, err
	}
	eps, err := s.endpoints()
	if err != nil {
		return nil, err
	}
	byName := map[string]*NetworkInfo{}
	for _, b := range brs {
		byName[b.Name] = &NetworkInfo{Name: b.Name, Driver: "bridge", Subnet: b.Subnet, Gateway: b.Gateway,
			MTU: b.MTU, Created: b.Created, Present: linkExists(b.Name), Containers: []EndpointInfo{}}
	}
	for _, e := range eps {
		n := byName[e.Bridge]
		if n == nil { // state of a bridge whose record is gone
			n = &NetworkInfo{Name: e.Bridge, Driver: "bridge", Subnet: e.Subnet, Gateway: e.Gateway,
				MTU: e.MTU, Present: linkExists(e.Bridge), Containers: []EndpointInfo{}}
			byName[e.Bridge] = n
		}
		n.Containers = append(n.Containers, EndpointInfo{ID: e.ID, Name: e.Name, IP: e.IP, Prefix: e.Prefix,
			MAC: e.MAC, HostVeth: e.HostVeth, NftTable: e.Table, Ports: e.Ports, Alive: linkExists(e.HostVeth)})
	}
	out := make([]NetworkInfo, 0, len(byName))
	for _, n := range byName {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Inspect returns one network by bridge name.
func Inspect(storeDir, name string) (*NetworkInfo, error) {
	all, err := List(storeDir)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Name == name {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("network inspect: no network %q (see 'minictr network ls')", name)
}

// Prune removes the network pieces of containers that no longer exist (their host veth is gone,
// which happens when their netns is destroyed), nftables tables and leases that no saved state
// claims, and bridges no container uses.
func Prune(storeDir string) error {
	if _, err := os.Stat(netDir(storeDir)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	s, err := openStore(storeDir)
	if err != nil {
		return err
	}
	defer s.close()
	var errs []error
	eps, err := s.endpoints()
	if err != nil {
		return err
	}
	live := map[string]bool{}  // container ids still connected
	owned := map[string]bool{} // nft tables claimed by a live container
	used := map[string]bool{}  // bridges with a live container
	for _, e := range eps {
		if linkExists(e.HostVeth) {
			live[e.ID], owned[e.Table], used[e.Bridge] = true, true, true
			continue
		}
		if err := teardownLocked(s, e.ID); err != nil {
			errs = append(errs, err)
		}
	}
	// Tables whose state file was lost (removed by hand, unreadable) but whose lease is still
	// here. Tables of containers of another store directory are left alone.
	if tables, err := ourTables(); err == nil {
		for _, t := range tables {
			if !owned[t] && orphanTable(s, t) {
				if err := removeRules(t); err != nil {
					errs = append(errs, err)
				}
			}
		}
	} else {
		errs = append(errs, err)
	}
	brs, err := s.bridges()
	if err != nil {
		errs = append(errs, err)
	}
	for _, b := range brs {
		// Leases of dead holders.
		if ls, err := s.leases(b.Name); err == nil {
			for ip, id := range ls {
				if !live[id] {
					if err := os.Remove(s.leaseDir(b.Name) + "/" + ip); err != nil && !errors.Is(err, fs.ErrNotExist) {
						errs = append(errs, fmt.Errorf("network prune: remove lease %s of %s: %w", ip, id, err))
					}
				}
			}
		}
		if used[b.Name] {
			continue
		}
		if err := deleteLink(b.Name); err != nil {
			errs = append(errs, fmt.Errorf("network prune: bridge %s: %w", b.Name, err))
			continue
		}
		if err := removeRules(bridgeTableName(b.Name)); err != nil {
			errs = append(errs, fmt.Errorf("network prune: bridge %s: %w", b.Name, err))
			continue
		}
		os.Remove(s.leaseDir(b.Name))
		if err := os.Remove(s.bridgePath(b.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("network prune: remove %s: %w", s.bridgePath(b.Name), err))
		}
	}
	return errors.Join(errs...)
}

// orphanTable reports whether a lease of this store names an id whose table is t.
func orphanTable(s *store, t string) bool {
	brs, _ := s.bridges()
	for _, b := range brs {
		ls, _ := s.leases(b.Name)
		for _, id := range ls {
			if tableName(id) == t {
				return true
			}
		}
	}
	return false
}
