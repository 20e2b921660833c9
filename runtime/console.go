package runtime

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupConsole runs in the init after the root switch: it opens a pty from the container's
// devpts, sends the master through the console socket (fd consoleFd) with SCM_RIGHTS, binds
// the slave onto /dev/console and makes it the controlling terminal and stdio.
func setupConsole(consoleFd int, size *specs.Box) error {
	if consoleFd < 0 {
		return fmt.Errorf("process.terminal is true but no console socket was given (--console-socket)")
	}
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx for the terminal: %w", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("get pty number: %w", err)
	}
	slavePath := fmt.Sprintf("/dev/pts/%d", n)
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set terminal size: %w", err)
		}
	}
	if err := sendFd(consoleFd, master.Name(), int(master.Fd())); err != nil {
		return fmt.Errorf("send pty master through the console socket: %w", err)
	}
	unix.Close(consoleFd)
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open pty slave %s: %w", slavePath, err)
	}
	// /dev/console is an empty file made by rootfs.Prepare when process.terminal is set.
	if err := unix.Mount(slavePath, "/dev/console", "", unix.MS_BIND, ""); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("bind %s onto /dev/console: %w", slavePath, err)
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.IoctlSetInt(int(slave.Fd()), unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make %s the controlling terminal: %w", slavePath, err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(int(slave.Fd()), fd, 0); err != nil {
			return fmt.Errorf("dup terminal onto fd %d: %w", fd, err)
		}
	}
	slave.Close()
	return nil
}

// sendFd sends one descriptor with its name over a unix socket, as runc's console socket
// protocol does (the name travels as the message body).
func sendFd(sock int, name string, fd int) error {
	rights := unix.UnixRights(fd)
	return unix.Sendmsg(sock, []byte(name), rights, nil, 0)
}

// recvFd receives one descriptor sent by sendFd.
func recvFd(sock int) (*os.File, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, 0)
	if err != nil {
		return nil, fmt.Errorf("receive fd: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive fd: no control message (%v)", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive fd: %d fds (%v)", len(fds), err)
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
}
