package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// endpoint is the saved state of one container's network, written before anything it names is
// created, so that Teardown can undo a Setup that crashed half way.
type endpoint struct {
	ID        string        `json:"id"`
	Name      string        `json:"name,omitempty"`
	Mode      string        `json:"mode"`
	Bridge    string        `json:"bridge"`
	Subnet    string        `json:"subnet"`
	IP        string        `json:"ip"`
	Gateway   string        `json:"gateway"`
	Prefix    int           `json:"prefix"`
	MAC       string        `json:"mac"`
	MTU       int           `json:"mtu"`
	HostVeth  string        `json:"hostVeth"`
	Table     string        `json:"nftTable,omitempty"`
	Ports     []PortMapping `json:"ports,omitempty"`
	NetnsPath string        `json:"netnsPath"`
	HostsPath string        `json:"hostsPath,omitempty"` // set by WriteEtcFiles; rewritten when peers come and go
	Created   time.Time     `json:"created"`
}

// bridgeState is the saved state of one bridge.
type bridgeState struct {
	Name    string    `json:"name"`
	Subnet  string    `json:"subnet"`
	Gateway string    `json:"gateway"`
	MTU     int       `json:"mtu"`
	Created time.Time `json:"created"`
}

// store is <storeDir>/network, opened with its lock held.
type store struct {
	dir  string
	lock *os.File
}

// openStore creates the directories and takes the exclusive lock. flock locks belong to the open
// file, so goroutines of one process exclude each other as well as other processes.
func openStore(storeDir string) (*store, error) {
	dir := netDir(storeDir)
	for _, d := range []string{dir, filepath.Join(dir, "containers"), filepath.Join(dir, "leases"), filepath.Join(dir, "networks")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("network store: mkdir %s: %w", d, err)
		}
	}
	p := filepath.Join(dir, "lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("network store: open lock %s: %w", p, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("network store: flock %s: %w", p, err)
	}
	return &store{dir: dir, lock: f}, nil
}

func (s *store) close() { s.lock.Close() } // closing the last descriptor releases the flock

func (s *store) endpointPath(id string) string {
	return filepath.Join(s.dir, "containers", id+".json")
}

func (s *store) loadEndpoint(id string) (*endpoint, error) {
	b, err := os.ReadFile(s.endpointPath(id))
	if err != nil {
		return nil, err
	}
	var e endpoint
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("read network state %s: %w", s.endpointPath(id), err)
	}
	return &e, nil
}

func (s *store) saveEndpoint(e *endpoint) error {
	return writeJSON(s.endpointPath(e.ID), e)
}

func (s *store) endpoints() ([]*endpoint, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "containers"))
	if err != nil {
		return nil, fmt.Errorf("list network states: %w", err)
	}
	var out []*endpoint
	for _, de := range ents {
		id, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok {
			continue
		}
		e, err := s.loadEndpoint(id)
		if err != nil {
			continue // removed meanwhile or unreadable: not ours to judge here
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

func (s *store) bridgePath(name string) string {
	return filepath.Join(s.dir, "networks", name+".json")
}

func (s *store) loadBridge(name string) (*bridgeState, error) {
	b, err := os.ReadFile(s.bridgePath(name))
	if err != nil {
		return nil, err
	}
	var st bridgeState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read bridge state %s: %w", s.bridgePath(name), err)
	}
	return &st, nil
}

func (s *store) bridges() ([]*bridgeState, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "networks"))
	if err != nil {
		return nil, fmt.Errorf("list bridges: %w", err)
	}
	var out []*bridgeState
	for _, de := range ents {
		if name, ok := strings.CutSuffix(de.Name(), ".json"); ok {
			if st, err := s.loadBridge(name); err == nil {
				out = append(out, st)
			}
		}
	}
	return out, nil
}

func (s *store) leaseDir(bridge string) string { return filepath.Join(s.dir, "leases", bridge) }

// leases returns ip -> container id for a bridge.
func (s *store) leases(bridge string) (map[string]string, error) {
	out := map[string]string{}
	ents, err := os.ReadDir(s.leaseDir(bridge))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list leases %s: %w", s.leaseDir(bridge), err)
	}
	for _, de := range ents {
		if net.ParseIP(de.Name()) == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.leaseDir(bridge), de.Name()))
		if err != nil {
			continue
		}
		out[de.Name()] = strings.TrimSpace(string(b))
	}
	return out, nil
}

// takeLease creates the lease file; O_EXCL makes a double allocation an error, not a silent
// overwrite.
func (s *store) takeLease(bridge, ip, id string) error {
	if err := os.MkdirAll(s.leaseDir(bridge), 0o700); err != nil {
		return fmt.Errorf("ipam: mkdir %s: %w", s.leaseDir(bridge), err)
	}
	p := filepath.Join(s.leaseDir(bridge), ip)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("ipam: create lease %s: %w", p, err)
	}
	_, err = f.WriteString(id + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return fmt.Errorf("ipam: write lease %s: %w", p, err)
	}
	return nil
}

// releaseLeases removes every lease of bridge held by id (all bridges if bridge is "").
func (s *store) releaseLeases(bridge, id string) error {
	bridges := []string{bridge}
	if bridge == "" {
		ents, _ := os.ReadDir(filepath.Join(s.dir, "leases"))
		bridges = bridges[:0]
		for _, de := range ents {
			bridges = append(bridges, de.Name())
		}
	}
	var errs []error
	for _, br := range bridges {
		ls, err := s.leases(br)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for ip, holder := range ls {
			if holder == id {
				p := filepath.Join(s.leaseDir(br), ip)
				if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, fmt.Errorf("ipam: release lease %s: %w", p, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// writeJSON writes atomically: temp file, then rename. No fsync: the state only has to
// outlive a crash of minictr, not of the host. After a reboot the links and rules it describes
// are gone anyway, and a lost or stale file is cleaned by Prune (a lease without a state is
// reclaimed).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
