package tests

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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

// TestRuntimeBinaryReadonly (CVE-2019-5736): the init process runs the minictr binary from a
// read-only bind mount. A container that gets hold of the binary through /proc/PID/exe (the
// attack keeps an O_PATH fd and reopens it for writing once the runtime has exited) gets
// EROFS; with a naive runtime the reopen succeeds and overwrites the host's binary.
func TestRuntimeBinaryReadonly(t *testing.T) {
	e := newEnv(t, "exit", "0")
	id := newID(t)
	st := e.create(id)
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/exe", st.Pid), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	e.mustRun("delete", "--force", id) // no process runs the binary any more: no ETXTBSY
	_, err = os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fd), os.O_WRONLY, 0)
	if !errors.Is(err, unix.EROFS) {
		t.Fatalf("reopen the init's binary for writing: %v, want EROFS", err)
	}
}

// TestCwdThroughLeakedFd (CVE-2024-21626): a process.cwd of /proc/self/fd/N must never land
// the process in a directory outside the container through an fd the runtime held open.
func TestCwdThroughLeakedFd(t *testing.T) {
	e := newEnv(t)
	for fd := 3; fd <= 12; fd++ {
		e.spec.Process.Cwd = fmt.Sprintf("/proc/self/fd/%d", fd)
		e.spec.Process.Args = []string{"/bin/probe", "cwd"}
		e.save()
		r := e.run("run", "-b", e.bundle, newID(t))
		if r.code == 0 && !strings.HasPrefix(strings.TrimSpace(r.stdout), "/") {
			t.Errorf("cwd /proc/self/fd/%d: the process runs in %q, outside the container", fd, r.stdout)
		}
		if r.code == 0 && strings.HasPrefix(strings.TrimSpace(r.stdout), "/sys/fs/cgroup") {
			t.Errorf("cwd /proc/self/fd/%d: the process is in a host cgroup directory %q", fd, r.stdout)
		}
	}
}
