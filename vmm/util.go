package vmm

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }

// watchWriter forwards console output and notices a stop string in it; it reports the hit
// at the end of the line that contains it, so that the whole line is printed.
type watchWriter struct {
	w       io.Writer
	stop    []byte
	tail    []byte
	matched bool
	hit     atomic.Bool
}

func (c *watchWriter) Write(p []byte) (int, error) {
	if c.w != nil {
		c.w.Write(p)
	}
	if len(c.stop) == 0 || c.hit.Load() {
		return len(p), nil
	}
	if !c.matched {
		c.tail = append(c.tail, p...)
		i := bytes.Index(c.tail, c.stop)
		if i < 0 {
			if keep := len(c.stop) - 1; len(c.tail) > keep {
				c.tail = append(c.tail[:0], c.tail[len(c.tail)-keep:]...)
			}
			return len(p), nil
		}
		c.matched = true
		p = c.tail[i+len(c.stop):]
	}
	if bytes.IndexByte(p, '\n') >= 0 {
		c.hit.Store(true)
	}
	return len(p), nil
}

// ParseSize reads a memory size: a number of bytes with an optional K, M or G suffix (powers
// of 1024), e.g. "256M".
func ParseSize(s string) (uint64, error) {
	mult := uint64(1)
	t := strings.TrimSuffix(strings.ToUpper(s), "B")
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("size %q: want a positive number with an optional K, M or G suffix", s)
	}
	return n * mult, nil
}
