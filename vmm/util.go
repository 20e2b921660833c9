package vmm

import (
	"bytes"
	"io"
	"sync/atomic"
	"unsafe"
)

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }

// watchWriter forwards console output and notices a stop string in it.
type watchWriter struct {
	w    io.Writer
	stop []byte
	tail []byte
	hit  atomic.Bool
}

func (c *watchWriter) Write(p []byte) (int, error) {
	if c.w != nil {
		c.w.Write(p)
	}
	if len(c.stop) > 0 && !c.hit.Load() {
		c.tail = append(c.tail, p...)
		if bytes.Contains(c.tail, c.stop) {
			c.hit.Store(true)
		}
		if keep := len(c.stop) - 1; len(c.tail) > keep {
			c.tail = append(c.tail[:0], c.tail[len(c.tail)-keep:]...)
		}
	}
	return len(p), nil
}
