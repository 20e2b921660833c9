package interp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/minictr/minictr/vm/isa"
)

// Threads selects how blocking host calls interact with green threads.
type Threads int

const (
	// Hybrid moves blocking host calls (sleep, stdin and file reads) to kernel threads; the other
	// green threads keep running.
	Hybrid Threads = iota
	// User runs blocking host calls on the one scheduler thread: they block every green thread.
	User
)

// Dir grants the program access to Host under the guest path Guest.
type Dir struct {
	Host  string
	Guest string
}

// Options configure a run.
type Options struct {
	Args      []string // os.Args inside the program (Args[0] is the program name)
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	Fuel      int64 // instruction budget; 0 = unlimited
	MaxMemory int64 // bytes of live heap; 0 = unlimited
	MaxDepth  int   // call frames per goroutine; 0 = default (100000)
	Threads   Threads
	Trace     bool
	Dirs      []Dir
}

// ExitError is returned by Run when the program exits with a non-zero status (os.Exit, a
// panic, a deadlock, an exhausted limit). The message has already been printed to Stderr.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d: %s", e.Code, e.Msg) }

// codePad invalid instructions follow each function's code.
const codePad = 8

type fnInfo struct {
	idx      int
	f        *isa.Func
	code     []uint32       // the function's code followed by codePad trap words
	cp       unsafe.Pointer // &code[0], for the fast loop's unchecked fetch
	nregs    int
	nparams  int
	nresults int
	name     string
}

const (
	flagDeferCall  = 1 << iota // frame runs a deferred call
	flagHostReturn             // frame returns to a host (nested) call
	flagGoEntry                // first frame of a goroutine
)

type frame struct {
	fn    *fnInfo
	pc    int // resume pc; -1: deferred call made while panicking
	base  int
	cl    *Closure
	flags int
}

type deferRec struct {
	frame int
	cl    *Closure
	n     []uint64
	r     []any
}

type panicState struct {
	val       *Iface
	trace     string
	recovered bool
}

const (
	gRunnable = iota
	gBlocked
	gDone
)

// G is a green thread.
type G struct {
	id        int
	regs      []uint64
	refs      []any
	frames    []frame
	defers    []deferRec
	panic     *panicState
	state     int
	wait      string
	pendPanic string // panic to raise when resumed (send on a channel closed meanwhile)
	sd        sudog  // reused for plain (non-select) channel waits; sd.g is g, sd.sel nil
	nested    int
}

// Machine is one loaded program.
type Machine struct {
	mod     *isa.Module
	opts    Options
	funcs   []*fnInfo
	types   []*rtype
	kn      []uint64
	kr      []any
	hosts   []hostEntry
	globN   []uint64
	globR   []any
	errType *rtype
	mnames  []string

	out        *bufio.Writer
	errw       io.Writer
	stdin      *bufio.Reader
	stdinMu    sync.Mutex
	runq       []*G
	rhead      int
	gs         map[int]*G
	nextID     int
	cur        *G
	mainG      *G
	done       chan completion
	pend       int
	fuel       int64
	exited     bool
	code       int
	msg        string
	rng        uint64
	roots      []*os.Root
	slices     int
	start      time.Time
	allocSince int64
}

type completion struct {
	g     *G
	apply func()
}

// New prepares a verified module for running.
func New(mod *isa.Module, opts Options) (*Machine, error) {
	m := &Machine{mod: mod, opts: opts, gs: map[int]*G{}, done: make(chan completion, 64), rng: 0x9e3779b97f4a7c15, start: time.Now()}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Stdin == nil {
		opts.Stdin = strings.NewReader("")
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 100000
	}
	m.opts = opts
	m.out = bufio.NewWriterSize(opts.Stdout, 64<<10)
	m.errw = opts.Stderr
	m.stdin = bufio.NewReader(opts.Stdin)
	m.fuel = opts.Fuel
	m.mnames = mod.MethodNames
	for i := range mod.Funcs {
		f := &mod.Funcs[i]
		code := make([]uint32, len(f.Code)+codePad)
		copy(code, f.Code)
		for j := len(f.Code); j < len(code); j++ {
			code[j] = 0xff // invalid opcode: traps
		}
		m.funcs = append(m.funcs, &fnInfo{idx: i, f: f, code: code, cp: unsafe.Pointer(&code[0]), nregs: f.NRegs, nparams: f.NParams, nresults: f.NResults, name: f.Name})
	}
	m.types = make([]*rtype, len(mod.Types))
	for i := range mod.Types {
		t := &mod.Types[i]
		m.types[i] = &rtype{idx: i, t: t, kind: t.Kind, name: t.Name}
	}
	for i, rt := range m.types {
		t := rt.t
		switch t.Kind {
		case isa.KSlice, isa.KPointer, isa.KChan, isa.KArray, isa.KMap:
			rt.elem = m.types[t.Elem]
		}
		if t.Kind == isa.KMap {
			rt.key = m.types[t.Key]
		}
		switch t.Kind {
		case isa.KStruct:
			rt.numN, rt.numR = t.NumN, t.NumR
			for _, f := range t.Fields {
				if f.Ref && m.types[f.Type].kind.IsAggregate() {
					rt.aggR = append(rt.aggR, f.Index)
					rt.aggT = append(rt.aggT, m.types[f.Type])
				}
			}
		case isa.KArray:
			if rt.elem.kind.IsRef() {
				rt.numR = t.Len
				if rt.elem.kind.IsAggregate() {
					for j := 0; j < t.Len; j++ {
						rt.aggR = append(rt.aggR, j)
						rt.aggT = append(rt.aggT, rt.elem)
					}
				}
			} else {
				rt.numN = t.Len
			}
		}
		if len(t.Methods) > 0 {
			rt.meths = make([]*fnInfo, len(mod.MethodNames))
			rt.ptrRecv = make([]bool, len(mod.MethodNames))
			for _, me := range t.Methods {
				rt.meths[me.Name] = m.funcs[me.Func]
				rt.ptrRecv[me.Name] = me.PtrRecv
			}
		}
		_ = i
	}
	// zero values of aggregates are built eagerly: reject value cycles and huge types
	state := make([]int8, len(m.types))
	size := make([]int64, len(m.types))
	var sizeOf func(rt *rtype) (int64, error)
	sizeOf = func(rt *rtype) (int64, error) {
		switch state[rt.idx] {
		case 1:
			return 0, fmt.Errorf("load module: type %d (%s) contains itself by value", rt.idx, rt.name)
		case 2:
			return size[rt.idx], nil
		}
		state[rt.idx] = 1
		n := int64(8*rt.numN + 16*rt.numR + 64)
		for _, at := range rt.aggT {
			k, err := sizeOf(at)
			if err != nil {
				return 0, err
			}
			n += k
			if n > 1<<28 {
				return 0, fmt.Errorf("load module: type %d (%s) is too large", rt.idx, rt.name)
			}
		}
		state[rt.idx], size[rt.idx] = 2, n
		return n, nil
	}
	for _, rt := range m.types {
		if rt.kind.IsAggregate() {
			if _, err := sizeOf(rt); err != nil {
				return nil, err
			}
		}
	}
	if mod.ErrorType >= 0 {
		m.errType = m.types[mod.ErrorType]
	}
	m.kn = make([]uint64, len(mod.Consts))
	m.kr = make([]any, len(mod.Consts))
	for i, c := range mod.Consts {
		if c.Kind == isa.ConstString {
			m.kr[i] = c.S
		} else {
			m.kn[i] = c.N
		}
	}
	for i, h := range mod.Hosts {
		e, ok := hostTable[h.Name]
		if !ok {
			return nil, fmt.Errorf("load module: host function %d %q is not provided by this VM", i, h.Name)
		}
		if e.nargs != h.NArgs || e.nres != h.NResult {
			return nil, fmt.Errorf("load module: host function %q takes %d args and %d results, module says %d and %d", h.Name, e.nargs, e.nres, h.NArgs, h.NResult)
		}
		m.hosts = append(m.hosts, e)
	}
	m.globN = make([]uint64, mod.NGlobals)
	m.globR = make([]any, mod.NGlobals)
	for _, d := range opts.Dirs {
		r, err := os.OpenRoot(d.Host)
		if err != nil {
			return nil, fmt.Errorf("grant --dir %s:%s: %w", d.Host, d.Guest, err)
		}
		m.roots = append(m.roots, r)
	}
	return m, nil
}

func (m *Machine) newG(cl *Closure, nargs []uint64, rargs []any) *G {
	m.nextID++
	g := &G{id: m.nextID, regs: make([]uint64, 512), refs: make([]any, 512)}
	g.frames = make([]frame, 0, 16)
	g.frames = append(g.frames, frame{fn: cl.F, cl: cl, flags: flagGoEntry})
	g.sd.g = g // set once: a park fills in only what changes
	if need := cl.F.nregs + 256; need > len(g.regs) {
		g.grow(need)
	}
	copy(g.regs, nargs)
	copy(g.refs, rargs)
	m.gs[g.id] = g
	m.runq = append(m.runq, g)
	return g
}

func (g *G) grow(need int) {
	n := len(g.regs) * 2
	for n < need {
		n *= 2
	}
	nr := make([]uint64, n)
	copy(nr, g.regs)
	g.regs = nr
	rr := make([]any, n)
	copy(rr, g.refs)
	g.refs = rr
}

// Run executes the module to completion. It returns nil when main returns, an *ExitError for a
// non-zero exit.
func (m *Machine) Run() (err error) {
	defer m.out.Flush()
	defer func() {
		for _, r := range m.roots {
			r.Close()
		}
	}()
	entry := m.funcs[m.mod.Entry]
	m.mainG = m.newG(&Closure{F: entry}, nil, nil)
	m.schedule()
	m.out.Flush()
	if m.code != 0 {
		return &ExitError{Code: m.code, Msg: m.msg}
	}
	return nil
}

func (m *Machine) random() uint64 {
	m.rng ^= m.rng << 13
	m.rng ^= m.rng >> 7
	m.rng ^= m.rng << 17
	return m.rng
}

const timeslice = 1 << 15

func (m *Machine) schedule() {
	for !m.exited {
		if len(m.runq) == m.rhead {
			if m.pend > 0 {
				m.out.Flush()
				c := <-m.done
				m.complete(c)
				continue
			}
			m.deadlock()
			return
		}
		g := m.popRunq()
		if g.state == gDone {
			continue
		}
		g.state = gRunnable
		m.runSlice(g)
		if m.pend > 0 {
			select {
			case c := <-m.done:
				m.complete(c)
			default:
			}
		}
	}
}

// popRunq takes the head of the run queue, which must not be empty.
func (m *Machine) popRunq() *G {
	g := m.runq[m.rhead]
	m.runq[m.rhead] = nil
	m.rhead++
	if m.rhead == len(m.runq) {
		m.runq, m.rhead = m.runq[:0], 0 // keep the backing array: no allocation per switch
	} else if m.rhead > 64 && m.rhead > len(m.runq)/2 {
		n := copy(m.runq, m.runq[m.rhead:])
		m.runq, m.rhead = m.runq[:n], 0
	}
	return g
}

// switchFrom is the fast loop's goroutine switch: g has just parked on a channel, and when
// the next goroutine in the run queue can go on in the fast loop too, it becomes the current
// one (m.cur) with what is left of the time slice; the fast loop returns stSwitch and
// protectedLoop enters it again at once, instead of going back through runSlice and the
// scheduler (a ping-pong switches twice per message). The fast loop itself never changes
// goroutine: a g that varies inside it cost the hot loop a register (3% more instructions
// on the integer loop). It reports false when the scheduler must decide: host calls
// pending, or the next goroutine has a panic to raise, is done, or runs a nested call.
func (m *Machine) switchFrom(g *G) bool {
	if m.pend > 0 || len(m.runq) == m.rhead {
		return false
	}
	next := m.runq[m.rhead]
	if next.state == gDone || next.nested > 0 || next.pendPanic != "" {
		return false
	}
	g.state = gBlocked
	m.popRunq()
	next.state = gRunnable
	m.cur = next
	return true
}

func (m *Machine) complete(c completion) {
	m.pend--
	c.apply()
	if c.g.state == gBlocked {
		c.g.state = gRunnable
		m.runq = append(m.runq, c.g)
	}
}

func (m *Machine) wake(g *G) {
	if g.state == gBlocked {
		g.state = gRunnable
		m.runq = append(m.runq, g)
	}
}

const (
	stYield = iota
	stBlock
	stDone
	stBudget
	stHostReturn
	stSlow
	stSwitch // the fast loop parked g and made m.cur the next goroutine: go on with it
)

// runSlice runs g for one time slice, handling traps and panics.
func (m *Machine) runSlice(g *G) {
	m.cur = g
	budget := int64(timeslice)
	if m.fuel > 0 && m.fuel < budget {
		budget = m.fuel
	}
	if m.opts.Trace {
		budget = 1
	}
	if g.pendPanic != "" {
		msg := g.pendPanic
		g.pendPanic = ""
		if !m.raise(g, m.runtimeErr(msg, !plainErrors[msg])) {
			return
		}
	}
	total := budget
	for !m.exited {
		if m.opts.Trace {
			m.traceIns(g)
		}
		st, left := m.protectedLoop(g, budget)
		g = m.cur // the fast loop may have switched goroutines (switchFrom)
		used := budget - left
		if m.fuel > 0 {
			m.fuel -= used
			if m.fuel <= 0 {
				m.fatalf(g, "fuel exhausted", "fatal error: fuel exhausted (--fuel %d instructions)", m.opts.Fuel)
				return
			}
		}
		switch st {
		case stBudget:
			total -= used
			if m.opts.Trace && total > 0 {
				budget = 1
				continue
			}
			m.slices++
			if m.opts.MaxMemory > 0 && m.slices%8 == 0 {
				m.checkMemory(g)
			}
			if !m.exited {
				g.state = gRunnable
				m.runq = append(m.runq, g)
			}
			return
		case stYield:
			g.state = gRunnable
			m.runq = append(m.runq, g)
			return
		case stBlock:
			g.state = gBlocked
			return
		case stDone:
			g.state = gDone
			delete(m.gs, g.id)
			if g == m.mainG {
				m.exited = true
			}
			return
		case stHostReturn:
			return
		}
	}
}

var heapMetric = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() int64 {
	metrics.Read(heapMetric)
	if heapMetric[0].Value.Kind() == metrics.KindUint64 {
		return int64(heapMetric[0].Value.Uint64())
	}
	return 0
}

func (m *Machine) checkMemory(g *G) {
	if heapBytes() <= m.opts.MaxMemory {
		return
	}
	runtime.GC()
	if h := heapBytes(); h > m.opts.MaxMemory {
		m.fatalf(g, "out of memory", "fatal error: out of memory: heap %d bytes exceeds --max-memory %d", h, m.opts.MaxMemory)
	}
}

// checkAlloc rejects one allocation larger than the memory limit before it happens.
func (m *Machine) checkAlloc(bytes int64) {
	if m.opts.MaxMemory > 0 && bytes > m.opts.MaxMemory {
		panic(&vmFatal{msg: fmt.Sprintf("fatal error: out of memory: allocation of %d bytes exceeds --max-memory %d", bytes, m.opts.MaxMemory)})
	}
	if m.opts.MaxMemory > 0 {
		// measure the live heap after every quarter of the limit allocated
		m.allocSince += bytes
		if m.allocSince > m.opts.MaxMemory/4 {
			m.allocSince = 0
			if heapBytes() > m.opts.MaxMemory {
				runtime.GC()
				if h := heapBytes(); h > m.opts.MaxMemory {
					panic(&vmFatal{msg: fmt.Sprintf("fatal error: out of memory: heap %d bytes exceeds --max-memory %d", h, m.opts.MaxMemory)})
				}
			}
		}
	}
	if bytes > 1<<31 || bytes < 0 {
		// without --max-memory, one allocation is still capped (2 GiB) so that a program
		// cannot make the host process die of an out-of-memory fatal error
		panic(&vmFatal{msg: fmt.Sprintf("fatal error: out of memory: allocation of %d bytes", bytes)})
	}
}

func (m *Machine) traceIns(g *G) {
	if len(g.frames) == 0 {
		return
	}
	fr := &g.frames[len(g.frames)-1]
	if fr.pc < 0 || fr.pc >= len(fr.fn.code) {
		return
	}
	ins := fr.fn.code[fr.pc]
	m.out.Flush()
	fmt.Fprintf(m.errw, "[g%d] %s:%d pc=%d %s\n", g.id, fr.fn.name, fr.fn.f.Lines[fr.pc], fr.pc, isa.FormatIns(m.mod, ins, fr.pc))
}

// trap is a runtime error raised inside the loop (recovered once outside it).
type trap struct {
	msg string
	pc  int
}

// vmFatal ends the whole program (limits, internal errors).
type vmFatal struct{ msg string }

// vmExit is os.Exit.
type vmExit struct{ code int }

// errBlocking is raised when a nested call (a String method called by fmt) tries to block.
var errBlocking = errors.New("blocking operation inside a method called by fmt")

func (m *Machine) protectedLoop(g *G, budget int64) (st int, left int64) {
	defer func() {
		if r := recover(); r != nil {
			g := m.cur // the goroutine that trapped: the fast loop may have switched to it
			st, left = stDone, 0
			switch e := r.(type) {
			case *trap:
				if e.pc > 0 && len(g.frames) > 0 {
					g.frames[len(g.frames)-1].pc = e.pc
				}
				if m.raise(g, m.runtimeErr(e.msg, !plainErrors[e.msg])) {
					st = stYield
				}
			case *vmPanic:
				if m.raise(g, e.val) {
					st = stYield
				}
			case *vmFatal:
				m.fatalf(g, e.msg, "%s", e.msg)
			case *vmExit:
				m.exited = true
				m.code = e.code
				m.msg = fmt.Sprintf("os.Exit(%d)", e.code)
			case runtime.Error:
				m.fatalf(g, "internal error", "fatal error: invalid bytecode or VM bug: %v", e)
			default:
				panic(r)
			}
		}
	}()
	if m.opts.Trace || g.nested > 0 {
		return m.loop(g, budget)
	}
	for {
		st, left := m.fastLoop(g, budget)
		if st == stSwitch { // switchFrom made another goroutine current
			g, budget = m.cur, left
			continue
		}
		if st != stSlow {
			return st, left
		}
		st, l1 := m.loop(g, 1)
		left += l1 - 1
		if st != stBudget || left <= 0 {
			return st, left
		}
		budget = left
	}
}

// plainErrors are runtime errors whose message has no "runtime error: " prefix, as in Go.
var plainErrors = map[string]bool{"assignment to entry in nil map": true, "send on closed channel": true,
	"close of closed channel": true, "close of nil channel": true, "all goroutines are asleep - deadlock!": true}

// vmPanic is a panic(v) from the program, raised from host code.
type vmPanic struct{ val *Iface }

func (m *Machine) runtimeErr(msg string, prefix bool) *Iface {
	if prefix {
		msg = "runtime error: " + msg
	}
	if m.errType == nil {
		return &Iface{T: nil, R: msg}
	}
	s := newZero(m.errType)
	s.R[0] = msg
	return &Iface{T: m.errType, R: s}
}

// raise starts (or continues) a panic in g: frames are unwound, running deferred calls. It
// returns true if g can keep running (a deferred call is scheduled or the panic was recovered).
func (m *Machine) raise(g *G, val *Iface) bool {
	if g.panic == nil || g.panic.recovered {
		g.panic = &panicState{val: val, trace: m.stackTrace(g)}
	} else {
		// a panic during a deferred call while panicking replaces the first one
		g.panic = &panicState{val: val, trace: g.panic.trace}
	}
	return m.unwind(g)
}

// unwind runs the next deferred call for the current panic, or ends the program.
func (m *Machine) unwind(g *G) bool {
	for len(g.frames) > 0 {
		top := len(g.frames) - 1
		if g.frames[top].flags&flagHostReturn != 0 && g.nested > 0 {
			// a panic inside a nested call: propagate to the host caller
			pv := g.panic.val
			g.panic = nil
			g.frames = g.frames[:top]
			panic(&vmPanic{val: pv})
		}
		if n := len(g.defers); n > 0 && g.defers[n-1].frame == top {
			d := g.defers[n-1]
			g.defers = g.defers[:n-1]
			g.frames[top].pc = -1
			m.pushDeferCall(g, d)
			return true
		}
		g.frames = g.frames[:top]
	}
	m.out.Flush()
	msg := "panic: " + m.panicString(g, g.panic.val)
	if e, ok := g.panic.val.R.(*Struct); ok && g.panic.val.T == m.errType && m.errType != nil {
		if s, _ := e.R[0].(string); strings.Contains(s, "nil pointer dereference") {
			msg += "\n[signal SIGSEGV: segmentation violation]"
		}
	}
	fmt.Fprintf(m.errw, "%s\n\ngoroutine %d [running]:\n%s", msg, g.id, g.panic.trace)
	m.exited = true
	m.code = 2
	m.msg = msg
	return false
}

func (m *Machine) pushDeferCall(g *G, d deferRec) {
	cur := &g.frames[len(g.frames)-1]
	nb := cur.base + cur.fn.nregs
	f := d.cl.F
	if need := nb + f.nregs + 256; need > len(g.regs) {
		g.grow(need)
	}
	copy(g.regs[nb:], d.n)
	copy(g.refs[nb:], d.r)
	g.frames = append(g.frames, frame{fn: f, base: nb, cl: d.cl, flags: flagDeferCall})
}

func (m *Machine) panicString(g *G, v *Iface) string {
	if v == nil {
		return "nil"
	}
	if v.T == m.errType && m.errType != nil {
		s, _ := v.R.(*Struct).R[0].(string)
		return s
	}
	if v.T == nil {
		s, _ := v.R.(string)
		return s
	}
	s := m.formatPanicVal(g, v)
	return s
}

func (m *Machine) stackTrace(g *G) string {
	var b strings.Builder
	for i := len(g.frames) - 1; i >= 0; i-- {
		if n := len(g.frames); n > 100 && i == n-50 {
			fmt.Fprintf(&b, "...%d frames elided...\n", n-100)
			i = 50
		}
		fr := &g.frames[i]
		if fr.fn.name == "<init>" && i == 0 && len(g.frames) > 1 {
			continue
		}
		pc := fr.pc - 1
		if i == len(g.frames)-1 {
			pc = fr.pc - 1
		}
		if pc < 0 {
			pc = 0
		}
		line := int32(0)
		if pc < len(fr.fn.f.Lines) {
			line = fr.fn.f.Lines[pc]
		}
		args := "()"
		if fr.fn.nparams > 0 {
			args = "(...)"
		}
		fmt.Fprintf(&b, "%s%s\n\t%s:%d\n", fr.fn.name, args, fr.fn.f.File, line)
	}
	return b.String()
}

// fatalf ends the program with exit status 2 and a stack trace of g.
func (m *Machine) fatalf(g *G, short, format string, args ...any) {
	m.out.Flush()
	msg := fmt.Sprintf(format, args...)
	tr := ""
	if g != nil {
		tr = fmt.Sprintf("\n\ngoroutine %d [running]:\n%s", g.id, m.stackTrace(g))
	}
	fmt.Fprintf(m.errw, "%s%s", msg, tr)
	m.exited = true
	m.code = 2
	m.msg = short
}

func (m *Machine) deadlock() {
	m.out.Flush()
	var b strings.Builder
	b.WriteString("fatal error: all goroutines are asleep - deadlock!\n")
	ids := make([]int, 0, len(m.gs))
	for id := range m.gs {
		ids = append(ids, id)
	}
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[j] < ids[i] {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
	for _, id := range ids {
		g := m.gs[id]
		fmt.Fprintf(&b, "\ngoroutine %d [%s]:\n%s", g.id, g.wait, m.stackTrace(g))
	}
	fmt.Fprint(m.errw, b.String())
	m.exited = true
	m.code = 2
	m.msg = "deadlock"
}
