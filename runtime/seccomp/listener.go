package seccomp

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SendListener hands a seccomp notify listener fd (from Load) to the agent at
// the spec's listenerPath, as the runtime spec asks: one message on a UNIX
// stream socket carrying the container process state as JSON, with the fd
// attached (SCM_RIGHTS) under the name "seccompFd". state.Fds and
// state.Version are filled in; the caller sets Pid, State and Metadata (the
// spec's listenerMetadata). Called by the runtime (parent), which receives
// the fd from the init; the fd is not closed.
func SendListener(listenerPath string, fd int, state specs.ContainerProcessState) error {
	if listenerPath == "" {
		return fmt.Errorf("seccomp: send listener fd: linux.seccomp.listenerPath is empty (SCMP_ACT_NOTIFY needs one)")
	}
	state.Version = specs.Version
	state.Fds = []string{specs.SeccompFdName}
	msg, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("seccomp: send listener fd: encode state: %w", err)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: listenerPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("seccomp: send listener fd: connect to listenerPath %s: %w", listenerPath, err)
	}
	defer conn.Close()
	n, oobn, err := conn.WriteMsgUnix(msg, unix.UnixRights(fd), nil)
	if err != nil {
		return fmt.Errorf("seccomp: send listener fd to %s: %w", listenerPath, err)
	}
	if n != len(msg) || oobn == 0 {
		return fmt.Errorf("seccomp: send listener fd to %s: short write (%d of %d bytes)", listenerPath, n, len(msg))
	}
	return nil
}

// ReceiveListener is the agent's side of SendListener, for tests and tools:
// it reads one message from conn and returns the state and the fd.
func ReceiveListener(conn *net.UnixConn) (specs.ContainerProcessState, *os.File, error) {
	var st specs.ContainerProcessState
	buf := make([]byte, 1<<16)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return st, nil, fmt.Errorf("receive seccomp listener: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return st, nil, fmt.Errorf("receive seccomp listener: parse control message: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		f, err := unix.ParseUnixRights(&m)
		if err == nil {
			fds = append(fds, f...)
		}
	}
	if err := json.Unmarshal(buf[:n], &st); err != nil {
		for _, f := range fds {
			unix.Close(f)
		}
		return st, nil, fmt.Errorf("receive seccomp listener: decode state: %w", err)
	}
	if len(fds) != 1 || len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName {
		for _, f := range fds {
			unix.Close(f)
		}
		return st, nil, fmt.Errorf("receive seccomp listener: want one fd named %s, got %d fds named %v", specs.SeccompFdName, len(fds), st.Fds)
	}
	return st, os.NewFile(uintptr(fds[0]), "seccomp-listener"), nil
}
