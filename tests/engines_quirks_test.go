package tests

// What podman (through conmon) and containerd (through its runc shim) need from the runtime,
// beyond the OCI lifecycle itself: each test here is a bug one of them ran into.

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Podman's default seccomp profile names syscalls this kernel may not have. They are skipped
// quietly: the init's stderr is the container's, so a warning would show in `podman logs` and
// on the stderr of every `podman exec`.
func TestSeccompUnknownSyscallQuiet(t *testing.T) {
	e := newEnv(t)
	e.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"no_such_syscall_name", "getcwd"}, Action: specs.ActAllow}},
	}
	e.spec.Process.Args = []string{"/bin/probe", "print", "ok"}
	e.save()
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("run: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "no_such_syscall_name") {
		t.Fatalf("the container's stderr carries the runtime's seccomp message: %q", r.stderr)
	}
}
