package runtime

import (
	"fmt"
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// TerminalRelay is `run`/`exec` in the foreground with a terminal and no console socket: the
// runtime receives the pty master itself and copies between it and its own stdio.
type TerminalRelay struct {
	local, remote *os.File // socketpair: remote goes to the init as its console socket
	master        *os.File
	restore       func()
}

// NewTerminalRelay makes the socketpair; pass Remote() as ConsoleConn.
func NewTerminalRelay() (*TerminalRelay, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("make console socketpair: %w", err)
	}
	return &TerminalRelay{local: os.NewFile(uintptr(fds[0]), "console-local"), remote: os.NewFile(uintptr(fds[1]), "console-remote")}, nil
}

// Remote is the end the container's init sends the pty master to.
func (t *TerminalRelay) Remote() *os.File { return t.remote }

// Start receives the master (the init has sent it by the time create returns) and starts
// copying; if stdin is a terminal it is put in raw mode until Close.
func (t *TerminalRelay) Start() error {
	t.remote.Close()
	m, err := recvFd(int(t.local.Fd()))
	if err != nil {
		return fmt.Errorf("receive the container's terminal: %w", err)
	}
	t.master = m
	in := int(os.Stdin.Fd())
	if old, err := unix.IoctlGetTermios(in, unix.TCGETS); err == nil {
		raw := *old
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
		unix.IoctlSetTermios(in, unix.TCSETS, &raw)
		t.restore = func() { unix.IoctlSetTermios(in, unix.TCSETS, old) }
		t.resize()
		winch := make(chan os.Signal, 4)
		signal.Notify(winch, unix.SIGWINCH)
		go func() {
			for range winch {
				t.resize()
			}
		}()
	}
	go io.Copy(m, os.Stdin)
	return nil
}

func (t *TerminalRelay) resize() {
	if ws, err := unix.IoctlGetWinsize(int(os.Stdin.Fd()), unix.TIOCGWINSZ); err == nil {
		unix.IoctlSetWinsize(int(t.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// CopyOut copies the container's output to stdout until the terminal closes; call it in a
// goroutine and wait for it after the process exits.
func (t *TerminalRelay) CopyOut() {
	if t.master != nil {
		io.Copy(os.Stdout, t.master)
	}
}

// Close restores the terminal and closes the sockets.
func (t *TerminalRelay) Close() {
	if t.restore != nil {
		t.restore()
	}
	t.local.Close()
	t.remote.Close()
	if t.master != nil {
		t.master.Close()
	}
}
