// Command probe runs inside containers under test and reports what it sees, one subcommand per
// fact (after crun's tests/init.c). It is built static (CGO_ENABLED=0) by the test harness.
//
//	probe pid | hostname | domainname | id | cwd | env KEY | caps | rlimit NAME | mounts
//	probe cat FILE | write FILE | ls DIR | exists PATH | fds
//	probe exit N | sleep SECONDS | wait-signal | memhog MIB | forkbomb N
//	probe ipc-make | ipc-list | ns TYPE | print TEXT...
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe COMMAND [ARGS]")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "pid":
		fmt.Println(os.Getpid())
	case "hostname":
		h, _ := os.Hostname()
		fmt.Println(h)
	case "domainname":
		var u unix.Utsname
		unix.Uname(&u)
		fmt.Println(unix.ByteSliceToString(u.Domainname[:]))
	case "id":
		groups, _ := os.Getgroups()
		fmt.Printf("uid=%d gid=%d groups=%v\n", os.Getuid(), os.Getgid(), groups)
	case "cwd":
		wd, err := os.Getwd()
		check(err)
		fmt.Println(wd)
	case "env":
		fmt.Println(os.Getenv(arg(args, 0)))
	case "caps":
		// The five capability sets as hex masks, from /proc/self/status.
		data, err := os.ReadFile("/proc/self/status")
		check(err)
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "Cap") || strings.HasPrefix(l, "NoNewPrivs") || strings.HasPrefix(l, "Seccomp:") {
				fmt.Println(l)
			}
		}
	case "rlimit":
		res := map[string]int{"NOFILE": unix.RLIMIT_NOFILE, "NPROC": unix.RLIMIT_NPROC, "CORE": unix.RLIMIT_CORE}[arg(args, 0)]
		var r unix.Rlimit
		check(unix.Getrlimit(res, &r))
		fmt.Printf("%d %d\n", r.Cur, r.Max)
	case "mounts":
		data, err := os.ReadFile("/proc/self/mountinfo")
		check(err)
		os.Stdout.Write(data)
	case "cat":
		data, err := os.ReadFile(arg(args, 0))
		check(err)
		os.Stdout.Write(data)
	case "write":
		check(os.WriteFile(arg(args, 0), []byte("probe\n"), 0o644))
		fmt.Println("written")
	case "ls":
		entries, err := os.ReadDir(arg(args, 0))
		check(err)
		for _, e := range entries {
			fmt.Println(e.Name())
		}
	case "exists":
		_, err := os.Lstat(arg(args, 0))
		fmt.Println(err == nil)
	case "fds":
		entries, err := os.ReadDir("/proc/self/fd")
		check(err)
		for _, e := range entries {
			target, _ := os.Readlink("/proc/self/fd/" + e.Name())
			fmt.Printf("%s %s\n", e.Name(), target)
		}
	case "exit":
		n, err := strconv.Atoi(arg(args, 0))
		check(err)
		os.Exit(n)
	case "sleep":
		n, err := strconv.ParseFloat(arg(args, 0), 64)
		check(err)
		time.Sleep(time.Duration(n * float64(time.Second)))
	case "wait-signal":
		// Prints "ready", then the name of the first signal it gets, and exits 0.
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGINT)
		fmt.Println("ready")
		s := <-c
		fmt.Println(s.(syscall.Signal).String())
	case "memhog":
		// Allocates and touches MIB mebibytes, one at a time.
		n, err := strconv.Atoi(arg(args, 0))
		check(err)
		var keep [][]byte
		for i := 0; i < n; i++ {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep))
	case "forkbomb":
		// Tries to start N sleeping children; prints how many it got, then kills them.
		n, err := strconv.Atoi(arg(args, 0))
		check(err)
		var pids []int
		for i := 0; i < n; i++ {
			pid, err := syscall.ForkExec("/proc/self/exe", []string{"probe", "sleep", "30"}, &syscall.ProcAttr{})
			if err != nil {
				break
			}
			pids = append(pids, pid)
		}
		fmt.Println("started", len(pids))
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
			var ws syscall.WaitStatus
			syscall.Wait4(p, &ws, 0, nil)
		}
	case "ipc-make":
		// A SysV message queue and shared memory segment with a known key.
		q, _, errno := unix.Syscall(unix.SYS_MSGGET, 0x4d435452, unix.IPC_CREAT|0o600, 0)
		if errno != 0 {
			fail("msgget: " + errno.Error())
		}
		shm, err := unix.SysvShmGet(0x4d435452, 4096, unix.IPC_CREAT|0o600)
		check(err)
		fmt.Printf("msq=%d shm=%d\n", q, shm)
	case "ipc-list":
		for _, f := range []string{"/proc/sysvipc/msg", "/proc/sysvipc/shm"} {
			data, err := os.ReadFile(f)
			check(err)
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			fmt.Printf("%s %d\n", f, len(lines)-1)
		}
	case "ns":
		target, err := os.Readlink("/proc/self/ns/" + arg(args, 0))
		check(err)
		fmt.Println(target)
	case "print":
		fmt.Println(strings.Join(args, " "))
	default:
		fail("unknown command " + os.Args[1])
	}
}

func arg(args []string, i int) string {
	if i >= len(args) {
		fail("missing argument")
	}
	return args[i]
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(100)
}
