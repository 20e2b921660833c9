package runtime

import (
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minictr/minictr/runtime/caps"
	"github.com/minictr/minictr/runtime/seccomp"
)

// dropBounding cuts the bounding set to the spec's; a spec without capabilities keeps all.
func dropBounding(c *specs.LinuxCapabilities) error {
	warnings, err := caps.DropBounding(c)
	for _, w := range warnings {
		slog.Warn(w)
	}
	return err
}

// applyCapabilities sets the effective, permitted, inheritable and ambient sets.
func applyCapabilities(c *specs.LinuxCapabilities) error {
	_, err := caps.SetProcess(c)
	return err
}

// prepareSeccomp compiles the spec's filter. Unknown syscall names are skipped, as in runc,
// and said at debug level only: this runs in the container's init, whose stderr is the
// container's own (podman's default profile names syscalls this kernel lacks, and a warning
// here would land in every `podman logs` and on every `podman exec`'s stderr).
func prepareSeccomp(sc *specs.LinuxSeccomp) (*seccomp.Filter, error) {
	f, warnings, err := seccomp.Prepare(sc)
	for _, w := range warnings {
		slog.Debug(w)
	}
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	return f, nil
}

// loadSeccomp installs the filter. With a notify rule, the kernel returns a listener fd,
// which goes to the parent (the listener socket path is not reachable from here) and from
// there to the agent at linux.seccomp.listenerPath.
func loadSeccomp(f *seccomp.Filter, sc *specs.LinuxSeccomp, sync *os.File) error {
	fd, err := f.Load()
	if err != nil {
		return fmt.Errorf("load seccomp filter: %w", err)
	}
	if fd < 0 {
		return nil
	}
	defer unix.Close(fd)
	if sc.ListenerPath == "" {
		return fmt.Errorf("linux.seccomp: a rule uses SCMP_ACT_NOTIFY but listenerPath is empty")
	}
	if err := writeMessage(sync, &message{Type: msgSeccomp}); err != nil {
		return err
	}
	if err := unix.Sendmsg(int(sync.Fd()), []byte{0}, unix.UnixRights(fd), nil, 0); err != nil {
		return fmt.Errorf("send seccomp listener fd: %w", err)
	}
	return nil
}

// forwardSeccompListener receives the listener fd that follows a "seccomp" message and sends
// it, with the container's state, to the agent at listenerPath.
func forwardSeccompListener(sync *os.File, s *specs.Spec, st specs.State) error {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(sync.Fd()), buf, oob, 0)
	if err != nil {
		return fmt.Errorf("receive seccomp listener fd: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return fmt.Errorf("receive seccomp listener fd: no fd in the message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return fmt.Errorf("receive seccomp listener fd: %v", err)
	}
	defer unix.Close(fds[0])
	sc := s.Linux.Seccomp
	ps := specs.ContainerProcessState{Version: specs.Version, Fds: []string{specs.SeccompFdName},
		Pid: st.Pid, Metadata: sc.ListenerMetadata, State: st}
	if err := seccomp.SendListener(sc.ListenerPath, fds[0], ps); err != nil {
		return fmt.Errorf("send seccomp listener to linux.seccomp.listenerPath %s: %w", sc.ListenerPath, err)
	}
	return nil
}
