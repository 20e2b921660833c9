package rootfs

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSysctlPath(t *testing.T) {
	all := []specs.LinuxNamespace{{Type: specs.IPCNamespace}, {Type: specs.NetworkNamespace, Path: "/run/netns/x"}, {Type: specs.UTSNamespace}}
	ok := map[string]string{
		"kernel.shmmax":                    "/proc/sys/kernel/shmmax",
		"kernel.msgmnb":                    "/proc/sys/kernel/msgmnb",
		"kernel.sem":                       "/proc/sys/kernel/sem",
		"kernel.shm_rmid_forced":           "/proc/sys/kernel/shm_rmid_forced",
		"fs.mqueue.msg_max":                "/proc/sys/fs/mqueue/msg_max",
		"net.ipv4.ip_forward":              "/proc/sys/net/ipv4/ip_forward",
		"net/ipv4/conf/eth0.1/forwarding":  "/proc/sys/net/ipv4/conf/eth0.1/forwarding",
		"kernel.hostname":                  "/proc/sys/kernel/hostname",
		"kernel.domainname":                "/proc/sys/kernel/domainname",
		"net.ipv4.conf.all.route_localnet": "/proc/sys/net/ipv4/conf/all/route_localnet",
	}
	for k, want := range ok {
		got, err := sysctlPath(k, all)
		if err != nil || got != want {
			t.Errorf("sysctlPath(%q) = %q, %v; want %q", k, got, err, want)
		}
	}
	bad := []string{
		"", "kernel.panic", "vm.overcommit_memory", "kernel..shmmax", "net/../kernel/panic",
		"net.ipv4/../../kernel/panic", "net/ipv4/./x", "/net/ipv4", "net.", "fs.mqueue", "kernel.shmmax\x00",
		"kernel.msgmax2", "kernel.hostname/x/..",
	}
	for _, k := range bad {
		if got, err := sysctlPath(k, all); err == nil {
			t.Errorf("sysctlPath(%q) = %q, want an error", k, got)
		}
	}
	// Each needs its namespace.
	needs := map[string]specs.LinuxNamespaceType{
		"kernel.shmmax": specs.IPCNamespace, "fs.mqueue.queues_max": specs.IPCNamespace,
		"net.core.somaxconn": specs.NetworkNamespace, "kernel.hostname": specs.UTSNamespace,
	}
	for k, ns := range needs {
		var without []specs.LinuxNamespace
		for _, n := range all {
			if n.Type != ns {
				without = append(without, n)
			}
		}
		if _, err := sysctlPath(k, without); err == nil {
			t.Errorf("sysctlPath(%q) without a %s namespace: accepted", k, ns)
		}
	}
}

func TestWriteSysctlsRefusesBeforeWriting(t *testing.T) {
	err := WriteSysctls(map[string]string{"kernel.panic": "1"}, []specs.LinuxNamespace{{Type: specs.IPCNamespace}})
	if err == nil {
		t.Fatal("kernel.panic accepted")
	}
}
