package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime/seccomp/internal/int80"
)

// Filters are loaded in a child: the test binary run again with helperEnv
// naming a scenario (and helperArg carrying its argument). A loaded filter
// can never be removed, so nothing here loads one in the test process.
const (
	helperEnv = "MINICTR_SECCOMP_HELPER"
	helperArg = "MINICTR_SECCOMP_ARG"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode, os.Getenv(helperArg)))
	}
	os.Exit(m.Run())
}

func errnoName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return fmt.Sprintf("errno=%d", int(e))
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func load(s *specs.LinuxSeccomp) int {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "no_new_privs:", err)
		os.Exit(3)
	}
	fd, warns, err := Load(s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(3)
	}
	for _, w := range warns {
		fmt.Println("warning:", w)
	}
	return fd
}

func allowAllBut(rules ...specs.LinuxSyscall) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules}
}

// helper runs one scenario in the child and prints what it saw.
func helper(mode, arg string) int {
	runtime.LockOSThread()
	switch mode {
	case "errno":
		load(allowAllBut(
			specs.LinuxSyscall{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uptr(38)},
			specs.LinuxSyscall{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: uptr(122)},
			specs.LinuxSyscall{Names: []string{"no_such_call"}, Action: specs.ActErrno}))
		_, err := unix.Getwd()
		fmt.Println("getcwd", errnoName(err))
		fmt.Println("mkdir", errnoName(unix.Mkdir(filepath.Join(arg, "d"), 0o755)))
		fmt.Println("getpid", unix.Getpid() == os.Getpid())
	case "kill-process":
		load(allowAllBut(specs.LinuxSyscall{Names: []string{"mkdirat"}, Action: specs.ActKillProcess}))
		unix.Mkdir(filepath.Join(arg, "d"), 0o755)
		fmt.Println("still alive")
	case "trap":
		load(allowAllBut(specs.LinuxSyscall{Names: []string{"mkdirat"}, Action: specs.ActTrap}))
		unix.Mkdir(filepath.Join(arg, "d"), 0o755)
		fmt.Println("still alive")
	case "trace", "log":
		act := specs.ActTrace
		if mode == "log" {
			act = specs.ActLog
		}
		load(allowAllBut(specs.LinuxSyscall{Names: []string{"mkdirat"}, Action: act}))
		// with no tracer, TRACE fails the syscall with ENOSYS; LOG allows it
		fmt.Println("mkdir", errnoName(unix.Mkdir(filepath.Join(arg, "d"), 0o755)))
	case "args":
		load(allowAllBut(
			specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(1),
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0xffffffff, Op: specs.OpNotEqual}}},
			// deny world-writable modes: (mode & 0o002) == 0o002
			specs.LinuxSyscall{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: uptr(13),
				Args: []specs.LinuxSeccompArg{{Index: 2, Value: 0o002, ValueTwo: 0o002, Op: specs.OpMaskedEqual}}},
			// a 64-bit compare: lseek offsets above 4 GiB refused
			specs.LinuxSyscall{Names: []string{"lseek"}, Action: specs.ActErrno, ErrnoRet: uptr(27),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 1 << 32, Op: specs.OpGreaterEqual}}}))
		_, _, e := unix.Syscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
		fmt.Println("personality(0xffffffff)", errnoName(errOrNil(e)))
		_, _, e = unix.Syscall(unix.SYS_PERSONALITY, 8, 0, 0)
		fmt.Println("personality(8)", errnoName(errOrNil(e)))
		fmt.Println("mkdir 0777", errnoName(unix.Mkdir(filepath.Join(arg, "a"), 0o777)))
		fmt.Println("mkdir 0755", errnoName(unix.Mkdir(filepath.Join(arg, "b"), 0o755)))
		f, err := os.Open(arg)
		if err != nil {
			fmt.Println(err)
			return 3
		}
		_, err = unix.Seek(int(f.Fd()), 1<<32-1, 0)
		fmt.Println("lseek 4G-1", errnoName(err))
		_, err = unix.Seek(int(f.Fd()), 1<<32, 0)
		fmt.Println("lseek 4G", errnoName(err))
	case "x32":
		// x32 listed: an x32 getpid meets its own rule
		load(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX32},
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uptr(77)}}})
		_, _, e := unix.RawSyscall(unix.SYS_GETPID|x32SyscallBit, 0, 0, 0)
		fmt.Println("x32 getpid", errnoName(errOrNil(e)))
		// no rule: allowed (then ENOSYS if the kernel lacks x32 support)
		unix.RawSyscall(unix.SYS_GETPPID|x32SyscallBit, 0, 0, 0)
		fmt.Println("x32 getppid returned")
	case "i386-probe":
		fmt.Println("i386 getpid", int(int80.Syscall(20, 0, 0, 0)) == os.Getpid())
	case "i386":
		load(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: uptr(77)},
				{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(1),
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpEqualTo}}}}})
		fmt.Println("i386 getppid", int80.Syscall(sysX86()["getppid"], 0, 0, 0))
		fmt.Println("i386 getpid", int(int80.Syscall(sysX86()["getpid"], 0, 0, 0)) == os.Getpid())
		fmt.Println("i386 personality(8)", int80.Syscall(sysX86()["personality"], 8, 0, 0))
		fmt.Println("i386 personality(0xffffffff)", int80.Syscall(sysX86()["personality"], 0xffffffff, 0, 0))
	case "x32-unlisted", "i386-unlisted":
		// x32 not listed: the calling thread is killed (libseccomp's bad-arch
		// action). The thread dies, the process lives on to say so.
		load(allowAllBut())
		tids := make(chan int)
		done := make(chan string)
		go func() {
			runtime.LockOSThread()
			tids <- unix.Gettid()
			if mode == "i386-unlisted" {
				done <- fmt.Sprint("i386 getpid returned ", int80.Syscall(20, 0, 0, 0))
				return
			}
			_, _, e := unix.RawSyscall(unix.SYS_GETPID|x32SyscallBit, 0, 0, 0)
			done <- "x32 getpid returned " + errnoName(errOrNil(e))
		}()
		tid := <-tids
		for i := 0; i < 2000; i++ {
			select {
			case s := <-done:
				fmt.Println(s)
				return 0
			default:
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
			if err != nil || strings.Contains(string(b), ") Z ") || strings.Contains(string(b), ") X ") {
				fmt.Println(strings.TrimSuffix(mode, "-unlisted"), "thread killed")
				return 0
			}
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Println("thread neither returned nor died")
	case "notify":
		fd := load(allowAllBut(specs.LinuxSyscall{Names: []string{"mkdirat"}, Action: specs.ActNotify}))
		fmt.Println("listener", fd >= 0)
		go func() {
			runtime.LockOSThread()
			var req [80]byte
			if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req))); e != 0 {
				fmt.Println("recv", e)
				os.Exit(3)
			}
			id := *(*uint64)(unsafe.Pointer(&req[0]))
			nr := *(*int32)(unsafe.Pointer(&req[16]))
			fmt.Println("notified nr", nr == unix.SYS_MKDIRAT)
			var resp [24]byte
			*(*uint64)(unsafe.Pointer(&resp[0])) = id
			*(*int32)(unsafe.Pointer(&resp[16])) = -int32(unix.EXDEV)
			if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp))); e != 0 {
				fmt.Println("send", e)
				os.Exit(3)
			}
		}()
		fmt.Println("mkdir", errnoName(unix.Mkdir(filepath.Join(arg, "d"), 0o755)))
	case "default":
		// a private mount namespace first, so a mount the filter wrongly let
		// through could not touch the host
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			fmt.Println("unshare before filter:", err)
			return 3
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			fmt.Println("make / private:", err)
			return 3
		}
		load(DefaultProfile())
		fmt.Println("mount", errnoName(unix.Mount("none", arg, "tmpfs", 0, "")))
		fmt.Println("unshare", errnoName(unix.Unshare(unix.CLONE_NEWUTS)))
		_, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, true)
		fmt.Println("keyctl", errnoName(err))
		_, err = unix.AddKey("user", "minictr-test", []byte("x"), unix.KEY_SPEC_PROCESS_KEYRING)
		fmt.Println("add_key", errnoName(err))
		_, _, e := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
		fmt.Println("clone3", errnoName(errOrNil(e)))
		_, _, e = unix.Syscall(unix.SYS_PERSONALITY, 0x0400000, 0, 0)
		fmt.Println("personality(READ_IMPLIES_EXEC)", errnoName(errOrNil(e)))
		if s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0); err == nil {
			unix.Close(s)
			fmt.Println("socket(AF_UNIX) ok")
		}
		_, err = unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)
		fmt.Println("socket(AF_VSOCK)", errnoName(err))
		// Go's runtime keeps working: threads, timers, a child process
		cmd := exec.Command("/proc/self/exe", "-test.run=^$")
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		fmt.Printf("child process %v %q\n", err, out)
	case "bench":
		// arg: "N filter" or "N none": time N getppid calls
		var n int
		var which string
		fmt.Sscan(arg, &n, &which)
		if which == "filter" {
			load(DefaultProfile())
		}
		start := time.Now()
		for i := 0; i < n; i++ {
			unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		}
		fmt.Println("ns", time.Since(start).Nanoseconds())
	case "exec":
		// what the init does: filter, then execve of the user's program
		var s specs.LinuxSeccomp
		if err := json.Unmarshal([]byte(os.Getenv("MINICTR_SECCOMP_PROFILE")), &s); err != nil {
			fmt.Println(err)
			return 3
		}
		load(&s)
		argv := strings.Split(arg, "\x1f")
		err := unix.Exec(argv[0], argv, []string{"PATH=/usr/bin:/bin"})
		fmt.Println("exec:", err)
		return 3
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		return 3
	}
	return 0
}

func errOrNil(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (or CAP_SYS_ADMIN) for the helper's unshare and mounts")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the kernel tests issue x86_64 syscall numbers")
	}
}

type result struct {
	out    string
	status syscall.WaitStatus
}

func runHelper(t *testing.T, mode, arg string, env ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "MINICTR_SECCOMP_") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"="+mode, helperArg+"="+arg)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("helper %s: %v", mode, err)
	}
	return result{string(out), cmd.ProcessState.Sys().(syscall.WaitStatus)}
}

func expectLines(t *testing.T, r result, lines ...string) {
	t.Helper()
	if !r.status.Exited() || r.status.ExitStatus() != 0 {
		t.Fatalf("helper status %v, output:\n%s", r.status, r.out)
	}
	for _, l := range lines {
		if !strings.Contains(r.out, l+"\n") {
			t.Errorf("missing %q in output:\n%s", l, r.out)
		}
	}
}

func TestLoadErrno(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	r := runHelper(t, "errno", dir)
	expectLines(t, r, "getcwd errno=38", "mkdir errno=122", "getpid true")
	if !strings.Contains(r.out, `warning: seccomp: syscalls[2] (no_such_call): unknown syscall "no_such_call" skipped`) {
		t.Errorf("no warning for the unknown syscall:\n%s", r.out)
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); err == nil {
		t.Error("mkdir went through")
	}
}

func TestLoadKillProcess(t *testing.T) {
	needRoot(t)
	r := runHelper(t, "kill-process", t.TempDir())
	if !r.status.Signaled() || r.status.Signal() != unix.SIGSYS || strings.Contains(r.out, "still alive") {
		t.Fatalf("status %v, want killed by SIGSYS; output:\n%s", r.status, r.out)
	}
}

func TestLoadTrap(t *testing.T) {
	needRoot(t)
	r := runHelper(t, "trap", t.TempDir())
	// Go's runtime turns the SIGSYS of TRAP into a crash report (exit 2)
	if strings.Contains(r.out, "still alive") || !strings.Contains(r.out, "SIGSYS") {
		t.Fatalf("status %v, want a SIGSYS crash; output:\n%s", r.status, r.out)
	}
}

func TestLoadTraceAndLog(t *testing.T) {
	needRoot(t)
	expectLines(t, runHelper(t, "trace", t.TempDir()), "mkdir errno=38")
	dir := t.TempDir()
	expectLines(t, runHelper(t, "log", dir), "mkdir ok")
	if _, err := os.Stat(filepath.Join(dir, "d")); err != nil {
		t.Errorf("LOG did not allow mkdir: %v", err)
	}
}

func TestLoadArgConditions(t *testing.T) {
	needRoot(t)
	expectLines(t, runHelper(t, "args", t.TempDir()),
		"personality(0xffffffff) ok", "personality(8) errno=1",
		"mkdir 0777 errno=13", "mkdir 0755 ok",
		"lseek 4G-1 ok", "lseek 4G errno=27")
}

func TestLoadX32(t *testing.T) {
	needRoot(t)
	expectLines(t, runHelper(t, "x32", ""), "x32 getpid errno=77", "x32 getppid returned")
	expectLines(t, runHelper(t, "x32-unlisted", ""), "x32 thread killed")
}

func TestLoadI386(t *testing.T) {
	needRoot(t)
	if r := runHelper(t, "i386-probe", ""); !strings.Contains(r.out, "i386 getpid true") {
		t.Skipf("no IA32 emulation in this kernel (int $0x80 gave %v)", r.status)
	}
	expectLines(t, runHelper(t, "i386", ""), "i386 getppid -77", "i386 getpid true",
		"i386 personality(8) -1", "i386 personality(0xffffffff) 0")
	expectLines(t, runHelper(t, "i386-unlisted", ""), "i386 thread killed")
}

func TestLoadNotify(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	expectLines(t, runHelper(t, "notify", dir), "listener true", "notified nr true", "mkdir errno=18")
}

func TestLoadDefaultProfile(t *testing.T) {
	needRoot(t)
	r := runHelper(t, "default", t.TempDir())
	expectLines(t, r, "mount errno=1", "unshare errno=1", "keyctl errno=1", "add_key errno=1",
		"clone3 errno=38", "personality(READ_IMPLIES_EXEC) errno=1", "socket(AF_UNIX) ok",
		"socket(AF_VSOCK) errno=1")
	if !strings.Contains(r.out, "child process <nil>") {
		t.Errorf("a Go child could not run under the default profile:\n%s", r.out)
	}
}

func busybox(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (Debian package busybox-static)")
	}
	return p
}

func execUnder(t *testing.T, s *specs.LinuxSeccomp, argv ...string) result {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return runHelper(t, "exec", strings.Join(argv, "\x1f"), "MINICTR_SECCOMP_PROFILE="+string(b))
}

func TestDefaultProfileRunsBusybox(t *testing.T) {
	needRoot(t)
	bb := busybox(t)
	dir := t.TempDir()
	r := execUnder(t, DefaultProfile(), bb, "sh", "-c", "cd "+dir+" && echo x > f && ls && mkdir d && echo hi")
	expectLines(t, r, "f", "hi")
	r = execUnder(t, DefaultProfile(), bb, "unshare", "-m", "true")
	if r.status.ExitStatus() == 0 || !strings.Contains(r.out, "not permitted") {
		t.Errorf("busybox unshare under the default profile: %v\n%s", r.status, r.out)
	}
}

// SCMP_ACT_KILL kills the (single-threaded) program after exec with SIGSYS.
func TestKillThreadAfterExec(t *testing.T) {
	needRoot(t)
	bb := busybox(t)
	dir := t.TempDir()
	s := allowAllBut(specs.LinuxSyscall{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActKill})
	r := execUnder(t, s, bb, "mkdir", filepath.Join(dir, "d"))
	if !r.status.Signaled() || r.status.Signal() != unix.SIGSYS {
		t.Fatalf("status %v, want SIGSYS; output:\n%s", r.status, r.out)
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); err == nil {
		t.Error("mkdir went through")
	}
}

func TestPrepare(t *testing.T) {
	f, warns, err := Prepare(DefaultProfile())
	if err != nil || len(warns) != 0 || f.Len() < 100 {
		t.Fatalf("Prepare(default) = %d instructions, %q, %v", f.Len(), warns, err)
	}
	var none *Filter
	if fd, err := none.Load(); fd != -1 || err != nil || none.Len() != 0 {
		t.Fatalf("nil Filter: %d %v", fd, err)
	}
	if f, _, _ := Prepare(nil); f != nil {
		t.Fatal("Prepare(nil) gave a filter")
	}
	f, _, _ = Prepare(allowAllBut(specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActNotify}))
	if f.flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 || f.flags&unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH == 0 {
		t.Errorf("notify filter flags %s", flagNames(f.flags))
	}
	f, warns, _ = Prepare(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv, specs.LinuxSeccompFlagLog}})
	if f.flags != unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_LOG || len(warns) != 1 {
		t.Errorf("flags %s warnings %q", flagNames(f.flags), warns)
	}
}

func TestLoadNeedsNoNewPrivsOrCapSysAdmin(t *testing.T) {
	// Load of nil is a no-op, safe in the test process
	fd, warns, err := Load(nil)
	if fd != -1 || warns != nil || err != nil {
		t.Fatalf("Load(nil) = %d %v %v", fd, warns, err)
	}
	if _, _, err := Load(&specs.LinuxSeccomp{DefaultAction: "nope"}); err == nil {
		t.Fatal("Load of a bad profile succeeded")
	}
}

// BenchmarkSyscall measures a cheap syscall (getppid) with and without the
// default profile loaded, in a child process each.
func BenchmarkSyscall(b *testing.B) {
	if os.Geteuid() != 0 || runtime.GOARCH != "amd64" {
		b.Skip("needs root on x86_64")
	}
	for _, which := range []string{"none", "filter"} {
		b.Run(which, func(b *testing.B) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=bench", fmt.Sprintf("%s=%d %s", helperArg, b.N, which))
			out, err := cmd.Output()
			if err != nil {
				b.Fatal(err)
			}
			var ns int64
			if _, err := fmt.Sscanf(string(out[strings.Index(string(out), "ns "):]), "ns %d", &ns); err != nil {
				b.Fatalf("%v: %q", err, out)
			}
			b.ReportMetric(float64(ns)/float64(b.N), "ns/syscall")
		})
	}
}

func TestSendListener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// any fd will do for the transport: a pipe end
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	got := make(chan error, 1)
	var st specs.ContainerProcessState
	var f *os.File
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		st, f, err = ReceiveListener(c)
		got <- err
	}()
	err = SendListener(path, int(w.Fd()), specs.ContainerProcessState{Pid: 42, Metadata: "m",
		State: specs.State{ID: "c1", Status: specs.StateCreating}})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st.Pid != 42 || st.Metadata != "m" || st.State.ID != "c1" || st.Version != specs.Version {
		t.Errorf("state = %+v", st)
	}
	// the received fd is the same pipe: write through it, read from r
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := r.Read(b); err != nil || b[0] != 'x' {
		t.Fatalf("read %q %v", b, err)
	}
	if err := SendListener("", 0, st); err == nil || !strings.Contains(err.Error(), "listenerPath is empty") {
		t.Errorf("empty path: %v", err)
	}
	if err := SendListener(filepath.Join(t.TempDir(), "none"), int(w.Fd()), st); err == nil || !strings.Contains(err.Error(), "connect to listenerPath") {
		t.Errorf("missing socket: %v", err)
	}
}
