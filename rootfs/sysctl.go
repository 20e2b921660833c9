package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// WriteSysctls writes linux.sysctl under /proc/sys, in key order. It runs after the switch of
// root (the container's /proc) and before Finalize (which may make /proc/sys read-only).
//
// Only sysctls that belong to a namespace of the container may be set, else the write would
// change the host: kernel.msg*, kernel.sem, kernel.shm* and fs.mqueue.* need an IPC namespace,
// net.* a network namespace, kernel.hostname and kernel.domainname a UTS namespace. As runc
// does, a namespace joined by path counts as well as a new one (a pod's containers set net.*
// in the sandbox's network namespace); joining the host's own namespace is the caller's choice.
func WriteSysctls(sysctl map[string]string, namespaces []specs.LinuxNamespace) error {
	keys := make([]string, 0, len(sysctl))
	for k := range sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, err := sysctlPath(k, namespaces)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(sysctl[k]), 0); err != nil {
			return fmt.Errorf("set sysctl %s: write %s = %q: %w", k, p, sysctl[k], errnoErr(err))
		}
	}
	return nil
}

// sysctlPath validates a key and returns its /proc/sys file.
func sysctlPath(key string, namespaces []specs.LinuxNamespace) (string, error) {
	bad := func(why string) error { return fmt.Errorf("sysctl %q: %s", key, why) }
	if key == "" || strings.ContainsAny(key, "\x00 \t\n") {
		return "", bad("not a sysctl name")
	}
	// Both "net.ipv4.ip_forward" and "net/ipv4/ip_forward" name the same file; a '/' in the
	// dotted form stays a '/' (interface names may hold dots: net/ipv4/conf/eth0.1/forwarding).
	rel := key
	if !strings.Contains(key, "/") {
		rel = strings.ReplaceAll(key, ".", "/")
	}
	for _, part := range strings.Split(rel, "/") {
		if part == "" || part == "." || part == ".." {
			return "", bad("empty, '.' or '..' component")
		}
	}
	dotted := strings.ReplaceAll(rel, "/", ".")
	need, ok := sysctlNamespace(dotted)
	if !ok {
		return "", bad("not a namespaced sysctl (setting it would change the host)")
	}
	if !nsListed(namespaces, need) {
		return "", bad(fmt.Sprintf("needs a %s namespace, which the spec does not give", need))
	}
	return filepath.Join("/proc/sys", rel), nil
}

// sysctlNamespace tells which namespace a (dotted) sysctl belongs to.
func sysctlNamespace(k string) (specs.LinuxNamespaceType, bool) {
	switch {
	case k == "kernel.sem", k == "kernel.shmall", k == "kernel.shmmax", k == "kernel.shmmni",
		k == "kernel.shm_rmid_forced", k == "kernel.msgmax", k == "kernel.msgmnb", k == "kernel.msgmni",
		strings.HasPrefix(k, "fs.mqueue."):
		return specs.IPCNamespace, true
	case strings.HasPrefix(k, "net."):
		return specs.NetworkNamespace, true
	case k == "kernel.hostname", k == "kernel.domainname":
		return specs.UTSNamespace, true
	}
	return "", false
}

func nsListed(list []specs.LinuxNamespace, t specs.LinuxNamespaceType) bool {
	for _, n := range list {
		if n.Type == t {
			return true
		}
	}
	return false
}
