// Package nsenter holds the one small cgo constructor of minictr: it joins and creates
// namespaces before the Go runtime starts (see nsenter.c for why and for the protocol).
// Importing the package (for its side effect) is all the binary needs; the parent side of the
// protocol is Send and Handshake below.
package nsenter

/*
#cgo CFLAGS: -Wall -O2
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// EnvPipe is the environment variable naming the init's end of the bootstrap socket.
const EnvPipe = "_MINICTR_INITPIPE"

const magic = 0x31534e4d

// Join is an existing namespace to enter, by its CLONE_NEW* type and its path.
type Join struct {
	Type uint32
	Path string
}

// Request is what the child's constructor does: cgroups to move into, namespaces to join,
// then new ones to create.
type Request struct {
	CloneFlags uint32
	Joins      []Join
	// ForkFlags are namespaces the runtime creates when it forks the init (clone flags), not
	// the constructor; not sent. See AtFork.
	ForkFlags uint32
	// CgroupFiles are cgroup v1 tasks files the child writes "0" to, moving itself in while
	// it is still single-threaded (see cgroups.Manager.SelfJoinFiles).
	CgroupFiles []string
}

// AtFork moves the new namespaces into ForkFlags when the clone that starts the init can
// make them: no namespace to join first and no user namespace (whose maps the parent writes
// once it exists) or time namespace (clone(2) has no flag for it). The init is then born in
// its pid namespace: the constructor neither unshares nor forks a second process, whose
// copy-on-write start cost 0.6 ms here. The cgroup namespace stays with the constructor: it
// must be made after the move into the container's cgroup, which it takes as its root.
func (r *Request) AtFork() {
	const constructorOnly = unix.CLONE_NEWUSER | unix.CLONE_NEWTIME
	if len(r.Joins) > 0 || r.CloneFlags&constructorOnly != 0 {
		return
	}
	r.ForkFlags = r.CloneFlags &^ unix.CLONE_NEWCGROUP
	r.CloneFlags &= unix.CLONE_NEWCGROUP
}

// Encode is the bootstrap message.
func (r *Request) Encode() []byte {
	le := binary.NativeEndian
	b := le.AppendUint32(nil, magic)
	b = le.AppendUint32(b, r.CloneFlags)
	b = le.AppendUint32(b, uint32(len(r.Joins)))
	b = le.AppendUint32(b, uint32(len(r.CgroupFiles)))
	for _, j := range r.Joins {
		b = le.AppendUint32(b, j.Type)
		b = le.AppendUint32(b, uint32(len(j.Path)))
		b = append(b, j.Path...)
	}
	for _, p := range r.CgroupFiles {
		b = le.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// Send writes the request; the child's constructor is blocked reading it. Send it as soon as
// it is known: everything the constructor does waits for it.
func Send(conn io.Writer, r *Request) error {
	if _, err := conn.Write(r.Encode()); err != nil {
		return fmt.Errorf("send namespace bootstrap: %w", err)
	}
	return nil
}

// Handshake runs the rest of the parent's side, after Send: writes the uid/gid maps when the
// child creates a user namespace (writeMaps gets the pid whose /proc files to write), and
// returns the pid of the process that goes on to run the init's Go code.
func Handshake(conn io.ReadWriter, writeMaps func(pid int) error, childPid int) (int, error) {
	for {
		var tag [1]byte
		if _, err := io.ReadFull(conn, tag[:]); err != nil {
			return 0, fmt.Errorf("read namespace bootstrap reply: %w (the init process died early)", err)
		}
		switch tag[0] {
		case 'U':
			if writeMaps == nil {
				return 0, errors.New("namespace bootstrap: child asked for uid maps, but none configured")
			}
			if err := writeMaps(childPid); err != nil {
				return 0, err
			}
			if _, err := conn.Write([]byte{'u'}); err != nil {
				return 0, fmt.Errorf("send uid map ack: %w", err)
			}
		case 'P':
			var pid [4]byte
			if _, err := io.ReadFull(conn, pid[:]); err != nil {
				return 0, fmt.Errorf("read init pid: %w", err)
			}
			return int(int32(binary.NativeEndian.Uint32(pid[:]))), nil
		case 'E':
			msg, _ := io.ReadAll(io.LimitReader(conn, 1100))
			return 0, errors.New(strings.TrimSpace(string(msg)))
		default:
			return 0, fmt.Errorf("namespace bootstrap: unexpected reply %#x", tag[0])
		}
	}
}

// InChild reports whether this process was started as a runtime init (the constructor ran).
func InChild() bool { return os.Getenv(EnvPipe) != "" }
