package initramfs

import (
	"bytes"
	"io"
	"sync"
)

// ConsoleFilter passes a guest console to w as a command's output: line by line, without the
// init's status line, and with the serial line discipline's "\r\n" turned back into "\n".
// Flush writes a last incomplete line.
type ConsoleFilter struct {
	W   io.Writer
	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer; it never fails (console output must not stop the guest).
func (f *ConsoleFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			break
		}
		f.emit(f.buf[:i+1])
		f.buf = f.buf[i+1:]
	}
	return len(p), nil
}

// Flush writes what is left of an incomplete last line.
func (f *ConsoleFilter) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.buf) > 0 {
		f.emit(f.buf)
		f.buf = nil
	}
}

func (f *ConsoleFilter) emit(line []byte) {
	if bytes.HasPrefix(line, []byte(StatusPrefix)) {
		return
	}
	if bytes.HasSuffix(line, []byte("\r\n")) {
		line = append(line[:len(line)-2:len(line)-2], '\n')
	}
	f.W.Write(line)
}
