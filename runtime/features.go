package runtime

import (
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/minictr/minictr/runtime/caps"
	rspec "github.com/minictr/minictr/runtime/spec"
)

// Features is the runtime-spec's features document for `minictr features`.
func Features() *features.Features {
	t := true
	var ns []string
	for n := range rspec.NamespaceFlag {
		ns = append(ns, string(n))
	}
	sort.Strings(ns)
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions: []string{"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async",
			"remount", "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave",
			"unbindable", "runbindable", "relatime", "norelatime", "strictatime", "nostrictatime",
			"noatime", "atime", "nodiratime", "diratime", "dirsync", "mand", "nomand", "tmpcopyup"},
		Linux: &features.Linux{
			Namespaces:   ns,
			Capabilities: caps.Names(),
			Cgroup:       &features.Cgroup{V1: &t, V2: &t, Systemd: new(bool), SystemdUser: new(bool)},
			Seccomp: &features.Seccomp{
				Enabled: &t,
				Actions: []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
					"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"},
				Operators: []string{"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
					"SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"},
				Archs: []string{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"},
			},
		},
	}
}
