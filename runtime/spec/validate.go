package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A check is one validation rule; Validate runs them in order and stops at the first failure,
// so the error a user sees is the most basic problem of the config.
type check struct {
	name string
	fn   func(s *specs.Spec, bundle string) error
}

var checks = []check{
	{"ociVersion", checkVersion},
	{"root", checkRoot},
	{"process", checkProcess},
	{"linux.namespaces", checkNamespaces},
	{"linux.uidMappings", checkIDMappings},
	{"hostname", checkHostname},
	{"mounts", checkMounts},
	{"hooks", checkHooks},
	{"linux.sysctl", checkSysctl},
	{"linux.cgroupsPath", checkCgroupsPath},
	{"unsupported", checkUnsupported},
}

// Validate checks a config against the runtime-spec's rules that minictr depends on.
func Validate(s *specs.Spec, bundle string) error {
	for _, c := range checks {
		if err := c.fn(s, bundle); err != nil {
			return err
		}
	}
	return nil
}

func checkVersion(s *specs.Spec, _ string) error {
	if s.Version == "" {
		return fmt.Errorf("ociVersion: missing (expected a version like %q)", specs.Version)
	}
	if !strings.HasPrefix(s.Version, "1.") {
		return fmt.Errorf("ociVersion %q: expected a 1.x runtime-spec version", s.Version)
	}
	return nil
}

func checkRoot(s *specs.Spec, bundle string) error {
	if s.Root == nil || s.Root.Path == "" {
		return fmt.Errorf("root.path: missing (expected the rootfs directory, e.g. \"rootfs\")")
	}
	p := s.Root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("root.path %q: %w", s.Root.Path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("root.path %q: not a directory", s.Root.Path)
	}
	return nil
}

func checkProcess(s *specs.Spec, _ string) error {
	p := s.Process
	if p == nil {
		return fmt.Errorf("process: missing (expected at least process.args and process.cwd)")
	}
	if len(p.Args) == 0 && p.CommandLine == "" {
		return fmt.Errorf("process.args: empty (expected the program to run, e.g. [\"sh\"])")
	}
	if p.Cwd == "" || !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd %q: expected an absolute path", p.Cwd)
	}
	for i, e := range p.Env {
		if !strings.Contains(e, "=") {
			return fmt.Errorf("process.env[%d] %q: expected KEY=VALUE", i, e)
		}
	}
	for i, r := range p.Rlimits {
		if _, ok := RlimitResource(r.Type); !ok {
			return fmt.Errorf("process.rlimits[%d].type %q: unknown rlimit (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...)", i, r.Type)
		}
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d] %s: soft limit %d above hard limit %d", i, r.Type, r.Soft, r.Hard)
		}
	}
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		return fmt.Errorf("process.oomScoreAdj %d: expected -1000..1000", *p.OOMScoreAdj)
	}
	return nil
}

// NamespaceFlag maps an OCI namespace type to its CLONE_NEW* flag.
var NamespaceFlag = map[specs.LinuxNamespaceType]uint32{
	specs.PIDNamespace:     0x20000000,
	specs.NetworkNamespace: 0x40000000,
	specs.MountNamespace:   0x00020000,
	specs.IPCNamespace:     0x08000000,
	specs.UTSNamespace:     0x04000000,
	specs.UserNamespace:    0x10000000,
	specs.CgroupNamespace:  0x02000000,
	specs.TimeNamespace:    0x00000080,
}

func checkNamespaces(s *specs.Spec, _ string) error {
	if s.Linux == nil {
		return nil
	}
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, ns := range s.Linux.Namespaces {
		if _, ok := NamespaceFlag[ns.Type]; !ok {
			return fmt.Errorf("linux.namespaces[%d].type %q: unknown namespace type (expected one of pid, network, mount, ipc, uts, user, cgroup, time)", i, ns.Type)
		}
		if seen[ns.Type] {
			return fmt.Errorf("linux.namespaces[%d]: namespace %q listed twice", i, ns.Type)
		}
		seen[ns.Type] = true
		if ns.Path != "" {
			if !filepath.IsAbs(ns.Path) {
				return fmt.Errorf("linux.namespaces[%d].path %q: expected an absolute path", i, ns.Path)
			}
			if _, err := os.Stat(ns.Path); err != nil {
				return fmt.Errorf("linux.namespaces[%d] %s: path %s: %w", i, ns.Type, ns.Path, err)
			}
		}
	}
	return nil
}

// HasNamespace reports whether the spec lists a namespace of type t (new or joined).
func HasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// NewNamespace reports whether the spec asks for a new namespace of type t.
func NewNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return ns.Path == ""
		}
	}
	return false
}

func checkIDMappings(s *specs.Spec, _ string) error {
	if s.Linux == nil {
		return nil
	}
	hasMaps := len(s.Linux.UIDMappings) > 0 || len(s.Linux.GIDMappings) > 0
	if hasMaps && !NewNamespace(s, specs.UserNamespace) {
		return fmt.Errorf("linux.uidMappings/gidMappings: given, but no new user namespace in linux.namespaces")
	}
	if NewNamespace(s, specs.UserNamespace) && (len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0) {
		return fmt.Errorf("linux.namespaces: a new user namespace needs linux.uidMappings and linux.gidMappings")
	}
	for i, m := range append(append([]specs.LinuxIDMapping{}, s.Linux.UIDMappings...), s.Linux.GIDMappings...) {
		if m.Size == 0 {
			return fmt.Errorf("linux id mapping %d (containerID %d, hostID %d): size 0", i, m.ContainerID, m.HostID)
		}
	}
	return nil
}

func checkHostname(s *specs.Spec, _ string) error {
	if s.Hostname != "" && !NewNamespace(s, specs.UTSNamespace) && !HasNamespace(s, specs.UTSNamespace) {
		return fmt.Errorf("hostname %q: setting a hostname needs a uts namespace in linux.namespaces", s.Hostname)
	}
	if s.Domainname != "" && !HasNamespace(s, specs.UTSNamespace) {
		return fmt.Errorf("domainname %q: setting a domainname needs a uts namespace in linux.namespaces", s.Domainname)
	}
	return nil
}

func checkMounts(s *specs.Spec, _ string) error {
	for i, m := range s.Mounts {
		if m.Destination == "" {
			return fmt.Errorf("mounts[%d]: destination missing", i)
		}
		if !filepath.IsAbs(m.Destination) {
			return fmt.Errorf("mounts[%d].destination %q: expected an absolute path", i, m.Destination)
		}
	}
	return nil
}

func checkHooks(s *specs.Spec, _ string) error {
	if s.Hooks == nil {
		return nil
	}
	lists := map[string][]specs.Hook{
		"prestart": s.Hooks.Prestart, "createRuntime": s.Hooks.CreateRuntime,
		"createContainer": s.Hooks.CreateContainer, "startContainer": s.Hooks.StartContainer,
		"poststart": s.Hooks.Poststart, "poststop": s.Hooks.Poststop,
	}
	for name, hs := range lists {
		for i, h := range hs {
			if !filepath.IsAbs(h.Path) {
				return fmt.Errorf("hooks.%s[%d].path %q: expected an absolute path", name, i, h.Path)
			}
			if h.Timeout != nil && *h.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d].timeout %d: expected a positive number of seconds", name, i, *h.Timeout)
			}
		}
	}
	return nil
}

func checkSysctl(s *specs.Spec, _ string) error {
	if s.Linux == nil {
		return nil
	}
	for k := range s.Linux.Sysctl {
		if k == "" || strings.Contains(k, "..") || strings.HasPrefix(k, "/") {
			return fmt.Errorf("linux.sysctl key %q: expected a name like net.ipv4.ip_forward", k)
		}
	}
	return nil
}

func checkCgroupsPath(s *specs.Spec, _ string) error {
	if s.Linux == nil || s.Linux.CgroupsPath == "" {
		return nil
	}
	if strings.Contains(s.Linux.CgroupsPath, "..") {
		return fmt.Errorf("linux.cgroupsPath %q: must not contain \"..\"", s.Linux.CgroupsPath)
	}
	return nil
}

// checkUnsupported refuses what minictr does not implement and would otherwise silently
// ignore in a way that changes what the container sees.
func checkUnsupported(s *specs.Spec, _ string) error {
	if s.Linux != nil && len(s.Linux.TimeOffsets) > 0 {
		return fmt.Errorf("linux.timeOffsets: not supported by minictr (a time namespace without offsets is)")
	}
	return nil
}
