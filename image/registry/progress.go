package registry

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// NewProgress returns a Progress writing to w: one bar per layer redrawn in place when w is a
// terminal, plain lines (start, done) otherwise. Hand-written (about 100 lines) rather than a
// progress bar library, because several bars updated from several goroutines at once is the
// part those libraries make awkward, and the plain-line form for logs is ours anyway.
func NewProgress(w io.Writer) Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		tty = err == nil
	}
	return &progress{w: w, tty: tty, bars: map[string]*bar{}}
}

type bar struct {
	id         string
	size, done int64
	state      string // "", "done", "exists", "error"
}

type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	order []*bar
	bars  map[string]*bar
	drawn int // lines drawn last time
	last  time.Time
}

func (p *progress) Start(id string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := &bar{id: id, size: size}
	p.bars[id] = b
	p.order = append(p.order, b)
	if !p.tty {
		fmt.Fprintf(p.w, "%s: %s\n", id, humanSize(size))
		return
	}
	p.draw(true)
}

func (p *progress) Update(id string, done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.bars[id]; b != nil {
		b.done = done
	}
	if p.tty {
		p.draw(false)
	}
}

func (p *progress) Done(id string, err error, skipped bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.bars[id]
	if b == nil {
		return
	}
	switch {
	case err != nil:
		b.state = "error"
	case skipped:
		b.state, b.done = "exists", b.size
	default:
		b.state, b.done = "done", b.size
	}
	if !p.tty {
		switch b.state {
		case "error":
			fmt.Fprintf(p.w, "%s: failed: %v\n", id, err)
		case "exists":
			fmt.Fprintf(p.w, "%s: already present\n", id)
		default:
			fmt.Fprintf(p.w, "%s: done\n", id)
		}
		return
	}
	p.draw(true)
}

// draw redraws every bar, at most 10 times a second unless forced.
func (p *progress) draw(force bool) {
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	var sb strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", p.drawn)
	}
	for _, b := range p.order {
		sb.WriteString("\x1b[2K")
		const width = 30
		switch b.state {
		case "exists":
			fmt.Fprintf(&sb, "%s  already present\n", b.id)
			continue
		case "error":
			fmt.Fprintf(&sb, "%s  failed\n", b.id)
			continue
		}
		fill := 0
		if b.size > 0 {
			fill = int(b.done * width / b.size)
		}
		fill = min(max(fill, 0), width)
		fmt.Fprintf(&sb, "%s  [%s%s] %s / %s\n", b.id, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), humanSize(b.done), humanSize(b.size))
	}
	p.drawn = len(p.order)
	io.WriteString(p.w, sb.String())
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
