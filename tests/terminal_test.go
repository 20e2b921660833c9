package tests

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestConsoleSocket: with process.terminal, create sends the pty master over the console
// socket (SCM_RIGHTS), as containerd and conmon expect; the process's stdio is the pty.
func TestConsoleSocket(t *testing.T) {
	e := newEnv(t)
	e.spec.Process.Terminal = true
	e.spec.Process.Args = []string{"/bin/sh", "-c", "tty; echo done"}
	e.save()
	sock := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *os.File, 1)
	go func() {
		conn, err := l.AcceptUnix()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			got <- nil
			return
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		if len(msgs) != 1 {
			got <- nil
			return
		}
		fds, _ := unix.ParseUnixRights(&msgs[0])
		got <- os.NewFile(uintptr(fds[0]), "pty-master")
	}()
	id := newID(t)
	e.mustRun("create", "-b", e.bundle, "--console-socket", sock, id)
	t.Cleanup(func() { e.run("delete", "--force", id) })
	var master *os.File
	select {
	case master = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no pty master received on the console socket")
	}
	if master == nil {
		t.Fatal("console socket: no fd received")
	}
	defer master.Close()
	e.mustRun("start", id)
	master.SetReadDeadline(time.Now().Add(10 * time.Second))
	var out strings.Builder
	buf := make([]byte, 1024)
	for !strings.Contains(out.String(), "done") {
		n, err := master.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			if err != io.EOF {
				t.Logf("read pty: %v", err)
			}
			break
		}
	}
	if !strings.Contains(out.String(), "/dev/pts/0") || !strings.Contains(out.String(), "done") {
		t.Fatalf("terminal output %q, want the tty name /dev/pts/0 and done", out.String())
	}
}

// TestRunRelaysTerminal: run without a console socket relays the pty itself.
func TestRunRelaysTerminal(t *testing.T) {
	e := newEnv(t)
	e.spec.Process.Terminal = true
	e.spec.Process.Args = []string{"/bin/sh", "-c", "tty; exit 3"}
	e.save()
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code != 3 || !strings.Contains(r.stdout, "/dev/pts/0") {
		t.Fatalf("run with a terminal: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
