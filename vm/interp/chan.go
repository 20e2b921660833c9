package interp

// Chan is a channel. All channel operations run on the scheduler thread, so no locking.
type Chan struct {
	T      *rtype
	buf    []slot
	head   int
	count  int
	closed bool
	recvq  []*sudog
	sendq  []*sudog
}

type selState struct {
	done   bool
	resIdx int
}

type sudog struct {
	g       *G
	idx     int // receiver: absolute register for the value
	okIdx   int // receiver: absolute register for ok, or -1
	val     slot
	sel     *selState
	caseIdx int
}

func (c *Chan) zero() slot {
	if c.T != nil && c.T.elem != nil && c.T.elem.kind.IsAggregate() {
		return slot{r: newZero(c.T.elem)}
	}
	return slot{}
}

func popLive(q *[]*sudog) *sudog {
	for len(*q) > 0 {
		s := (*q)[0]
		if len(*q) == 1 {
			(*q)[0] = nil
			*q = (*q)[:0] // keep the backing array
		} else {
			copy(*q, (*q)[1:])
			(*q)[len(*q)-1] = nil
			*q = (*q)[:len(*q)-1]
		}
		if s.sel == nil || !s.sel.done {
			return s
		}
	}
	return nil
}

func hasLive(q []*sudog) bool {
	for _, s := range q {
		if s.sel == nil || !s.sel.done {
			return true
		}
	}
	return false
}

func (m *Machine) finishSel(s *sudog) {
	if s.sel != nil {
		s.sel.done = true
		s.g.regs[s.sel.resIdx] = uint64(s.caseIdx)
	}
}

func (m *Machine) deliver(r *sudog, v slot, ok bool) {
	g := r.g
	g.regs[r.idx] = v.n
	g.refs[r.idx] = v.r
	if r.okIdx >= 0 {
		g.regs[r.okIdx] = b2u(ok)
	}
	m.finishSel(r)
	m.wake(g)
}

// trySend sends v if it can without blocking; it reports whether it did.
func (m *Machine) trySend(c *Chan, v slot) bool {
	if c.closed {
		panic(&trap{msg: "send on closed channel"})
	}
	if r := popLive(&c.recvq); r != nil {
		m.deliver(r, v, true)
		return true
	}
	if c.count < len(c.buf) {
		c.buf[(c.head+c.count)%len(c.buf)] = v
		c.count++
		return true
	}
	return false
}

// tryRecv receives if it can without blocking.
func (m *Machine) tryRecv(c *Chan) (slot, bool, bool) {
	if c.count > 0 {
		v := c.buf[c.head]
		c.buf[c.head] = slot{}
		c.head = (c.head + 1) % len(c.buf)
		c.count--
		if s := popLive(&c.sendq); s != nil {
			c.buf[(c.head+c.count)%len(c.buf)] = s.val
			c.count++
			m.finishSel(s)
			m.wake(s.g)
		}
		return v, true, true
	}
	if s := popLive(&c.sendq); s != nil {
		m.finishSel(s)
		m.wake(s.g)
		return s.val, true, true
	}
	if c.closed {
		return c.zero(), false, true
	}
	return slot{}, false, false
}

func (m *Machine) closeChan(c *Chan) {
	if c == nil {
		panic(&trap{msg: "close of nil channel"})
	}
	if c.closed {
		panic(&trap{msg: "close of closed channel"})
	}
	c.closed = true
	for {
		r := popLive(&c.recvq)
		if r == nil {
			break
		}
		m.deliver(r, c.zero(), false)
	}
	for {
		s := popLive(&c.sendq)
		if s == nil {
			break
		}
		s.g.pendPanic = "send on closed channel"
		m.finishSel(s)
		m.wake(s.g)
	}
}

func (c *Chan) ready(send bool) bool {
	if c == nil {
		return false
	}
	if send {
		return c.closed || hasLive(c.recvq) || c.count < len(c.buf)
	}
	return c.count > 0 || hasLive(c.sendq) || c.closed
}
