package runtime

// The parent (create or exec) and the init process talk over a stream socketpair. After the
// namespace bootstrap of runtime/nsenter, every message is a 4-byte length and a payload: the
// config in the wire encoding (runtime/wire: the init would spend most of a millisecond
// building encoding/json's tables to decode it), every other message a small JSON object.
//
//	direction      type         meaning
//	parent -> init "config"     what to set up: the spec, the bundle, the fds the init got
//	init -> parent "hooks"      mounts are done, root not switched yet: run prestart and
//	                            createRuntime hooks now (the init's namespaces exist)
//	parent -> init "hooks-done" hooks ran; go on
//	init -> parent "seccomp"    a listener fd follows (one byte with SCM_RIGHTS): the parent
//	                            passes it to the agent at linux.seccomp.listenerPath
//	init -> parent "ready"      create: set up and blocked on the exec fifo; exec: about to exec
//	                            (msg: the set-up steps' times, when the config asked for them)
//	init -> parent "error"      set-up failed (msg has the whole error); the init exits 1
//
// A message that does not arrive (the init died) shows as EOF on the parent's side.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minictr/minictr/runtime/wire"
)

const (
	msgConfig    = "config"
	msgHooks     = "hooks"
	msgHooksDone = "hooks-done"
	msgSeccomp   = "seccomp"
	msgReady     = "ready"
	msgError     = "error"
)

const maxMessage = 16 << 20

// message is one message; Config is set on the config message only, which travels in the
// wire encoding, not as JSON (so a JSON message's type leads encoding/json to no spec type).
type message struct {
	Type   string      `json:"type"`
	Msg    string      `json:"msg,omitempty"`
	Config *initConfig `json:"-"`
}

// wireMark leads a payload in the wire encoding; a JSON payload starts with '{'.
const wireMark = 'W'

// initConfig is what the init needs; fds are numbers in the init process. It travels in the
// wire encoding (field by field, by position), so it has no JSON names.
type initConfig struct {
	Exec      bool
	ID        string
	Spec      *specs.Spec
	Process   *specs.Process
	Bundle    string
	NoPivot   bool
	FifoFd    int // -1 for exec
	ConsoleFd int // -1 without a terminal
	FirstFd   int // fds from here on are the runtime's, closed on exec
	// NewNet tells the init to bring lo up in its new network namespace.
	NewNet bool
	// Steps asks the init to time its set-up steps and report them in the ready message's
	// msg (minictr --debug logs them).
	Steps bool
}

func writeMessage(w io.Writer, m *message) error {
	buf := make([]byte, 4, 4096)
	var err error
	if m.Type == msgConfig {
		buf, err = wire.Encode(append(buf, wireMark), m.Config)
	} else {
		var data []byte
		data, err = json.Marshal(m)
		buf = append(buf, data...)
	}
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("send %s message: %w", m.Type, err)
	}
	return nil
}

func readMessage(r io.Reader) (*message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxMessage {
		return nil, fmt.Errorf("sync message of %d bytes, at most %d", n, maxMessage)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	if len(data) > 0 && data[0] == wireMark {
		c := &initConfig{}
		if err := wire.Decode(data[1:], c); err != nil {
			return nil, fmt.Errorf("decode config message: %w", err)
		}
		return &message{Type: msgConfig, Config: c}, nil
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode sync message: %w", err)
	}
	if m.Type == msgConfig {
		return nil, fmt.Errorf("decode sync message: a config message in JSON")
	}
	return &m, nil
}
