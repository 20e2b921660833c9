package tests

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSeccompErrno(t *testing.T) {
	for _, nnp := range []bool{true, false} {
		name := "no_new_privs"
		if !nnp {
			name = "privileged-load"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			errno := uint(38) // ENOSYS
			e.spec.Process.NoNewPrivileges = nnp
			e.spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: &errno},
					{Names: []string{"no_such_syscall_name"}, Action: specs.ActErrno}},
			}
			e.spec.Process.Args = []string{"/bin/probe", "cwd"}
			e.save()
			r := e.run("run", "-b", e.bundle, newID(t))
			if r.code == 0 || !strings.Contains(r.stderr, "function not implemented") {
				t.Fatalf("getcwd under a filter returning ENOSYS: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			// Other syscalls still work.
			if out := e.runProbe("print", "ok"); out != "ok\n" {
				t.Fatalf("probe print under the filter: %q", out)
			}
		})
	}
}

func TestSeccompInStatus(t *testing.T) {
	e := newEnv(t)
	e.spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"keyctl"}, Action: specs.ActErrno}}}
	if out := e.runProbe("caps"); !strings.Contains(out, "Seccomp:\t2") {
		t.Fatalf("the container's process is not in seccomp filter mode:\n%s", out)
	}
}
