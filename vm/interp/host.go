package interp

import (
	"fmt"
	"math"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/minictr/minictr/vm/isa"
)

// hostFn runs on the scheduler thread. n and r are the call's register window (arguments in,
// results out).
type hostFn func(m *Machine, g *G, n []uint64, r []any)

// blockFn prepares a blocking call on the scheduler thread and returns the job; the job runs on
// the scheduler thread (--threads=user) or a kernel thread (--threads=hybrid) and returns the
// function that stores its results, run back on the scheduler thread.
type blockFn func(m *Machine, n []uint64, r []any) func() func(n []uint64, r []any)

type hostEntry struct {
	nargs, nres int
	fn          hostFn
	block       blockFn
}

// HostSignature returns the register footprint of a host function, for the compiler.
func HostSignature(name string) (nargs, nres int, ok bool) {
	e, ok := hostTable[name]
	return e.nargs, e.nres, ok
}

func str(v any) string { s, _ := v.(string); return s }

func (m *Machine) newError(msg string) *Iface { return m.runtimeErr(msg, false) }

func strSlice(v any) []string {
	s, _ := v.([]any)
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = str(x)
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func s1(f func(string) string) hostEntry {
	return hostEntry{nargs: 1, nres: 1, fn: func(m *Machine, g *G, n []uint64, r []any) { r[0] = f(str(r[0])) }}
}
func s2(f func(string, string) string) hostEntry {
	return hostEntry{nargs: 2, nres: 1, fn: func(m *Machine, g *G, n []uint64, r []any) { r[0] = f(str(r[0]), str(r[1])) }}
}
func sb(f func(string, string) bool) hostEntry {
	return hostEntry{nargs: 2, nres: 1, fn: func(m *Machine, g *G, n []uint64, r []any) { n[0] = b2u(f(str(r[0]), str(r[1]))) }}
}
func si(f func(string, string) int) hostEntry {
	return hostEntry{nargs: 2, nres: 1, fn: func(m *Machine, g *G, n []uint64, r []any) { n[0] = uint64(f(str(r[0]), str(r[1]))) }}
}
func f1(f func(float64) float64) hostEntry {
	return hostEntry{nargs: 1, nres: 1, fn: func(m *Machine, g *G, n []uint64, r []any) { n[0] = u64(f(f64(n[0]))) }}
}
func f2(f func(float64, float64) float64) hostEntry {
	return hostEntry{nargs: 2, nres: 1, fn: func(m *Machine, g *G, n []uint64, r []any) { n[0] = u64(f(f64(n[0]), f64(n[1]))) }}
}

func (m *Machine) write(s string) {
	m.out.WriteString(s)
}

var hostTable map[string]hostEntry

func init() {
	hostTable = map[string]hostEntry{
		"fmt.Println": {1, 2, func(m *Machine, g *G, n []uint64, r []any) {
			s := m.sprint(g, r[0], true)
			m.write(s)
			n[0], r[1] = uint64(len(s)), nil
		}, nil},
		"fmt.Print": {1, 2, func(m *Machine, g *G, n []uint64, r []any) {
			s := m.sprint(g, r[0], false)
			m.write(s)
			n[0], r[1] = uint64(len(s)), nil
		}, nil},
		"fmt.Printf": {2, 2, func(m *Machine, g *G, n []uint64, r []any) {
			s := m.sprintf(g, str(r[0]), r[1])
			m.write(s)
			n[0], r[1] = uint64(len(s)), nil
		}, nil},
		"fmt.Sprintln": {1, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = m.sprint(g, r[0], true) }, nil},
		"fmt.Sprint":   {1, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = m.sprint(g, r[0], false) }, nil},
		"fmt.Sprintf":  {2, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = m.sprintf(g, str(r[0]), r[1]) }, nil},
		"fmt.eprint": {1, 0, func(m *Machine, g *G, n []uint64, r []any) {
			m.out.Flush()
			fmt.Fprint(m.errw, str(r[0]))
		}, nil},
		"builtin.print": {1, 0, func(m *Machine, g *G, n []uint64, r []any) {
			m.out.Flush()
			fmt.Fprint(m.errw, str(r[0]))
		}, nil},
		"strconv.Itoa": {1, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = strconv.Itoa(int(int64(n[0]))) }, nil},
		"strconv.FormatInt": {2, 1, func(m *Machine, g *G, n []uint64, r []any) {
			b := int(n[1])
			if b < 2 || b > 36 {
				panic(&trap{msg: "strconv: illegal AppendInt/FormatInt base"})
			}
			r[0] = strconv.FormatInt(int64(n[0]), b)
		}, nil},
		"strconv.Atoi": {1, 2, func(m *Machine, g *G, n []uint64, r []any) {
			v, err := strconv.Atoi(str(r[0]))
			n[0], r[1] = uint64(v), nil
			if err != nil {
				r[1] = m.newError(err.Error())
			}
		}, nil},
		"strconv.ParseInt": {3, 2, func(m *Machine, g *G, n []uint64, r []any) {
			v, err := strconv.ParseInt(str(r[0]), int(n[1]), int(n[2]))
			n[0], r[1] = uint64(v), nil
			if err != nil {
				r[1] = m.newError(err.Error())
			}
		}, nil},
		"strconv.ParseFloat": {2, 2, func(m *Machine, g *G, n []uint64, r []any) {
			v, err := strconv.ParseFloat(str(r[0]), int(n[1]))
			n[0], r[1] = u64(v), nil
			if err != nil {
				r[1] = m.newError(err.Error())
			}
		}, nil},
		"strconv.FormatFloat": {4, 1, func(m *Machine, g *G, n []uint64, r []any) {
			r[0] = strconv.FormatFloat(f64(n[0]), byte(n[1]), int(int64(n[2])), int(n[3]))
		}, nil},
		"strconv.Quote":      s1(strconv.Quote),
		"strconv.FormatBool": {1, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = strconv.FormatBool(n[0] != 0) }, nil},
		"strings.Contains":   sb(strings.Contains),
		"strings.HasPrefix":  sb(strings.HasPrefix),
		"strings.HasSuffix":  sb(strings.HasSuffix),
		"strings.EqualFold":  sb(strings.EqualFold),
		"strings.Index":      si(strings.Index),
		"strings.LastIndex":  si(strings.LastIndex),
		"strings.Count":      si(strings.Count),
		"strings.Compare":    si(strings.Compare),
		"strings.ToUpper":    s1(strings.ToUpper),
		"strings.ToLower":    s1(strings.ToLower),
		"strings.TrimSpace":  s1(strings.TrimSpace),
		"strings.Title":      s1(func(s string) string { return s }),
		"strings.Trim":       s2(strings.Trim),
		"strings.TrimLeft":   s2(strings.TrimLeft),
		"strings.TrimRight":  s2(strings.TrimRight),
		"strings.TrimPrefix": s2(strings.TrimPrefix),
		"strings.TrimSuffix": s2(strings.TrimSuffix),
		"strings.ReplaceAll": {3, 1, func(m *Machine, g *G, n []uint64, r []any) {
			r[0] = strings.ReplaceAll(str(r[0]), str(r[1]), str(r[2]))
		}, nil},
		"strings.Replace": {4, 1, func(m *Machine, g *G, n []uint64, r []any) {
			r[0] = strings.Replace(str(r[0]), str(r[1]), str(r[2]), int(int64(n[3])))
		}, nil},
		"strings.Repeat": {2, 1, func(m *Machine, g *G, n []uint64, r []any) {
			c := int64(n[1])
			if c < 0 {
				panic(&trap{msg: "strings: negative Repeat count"})
			}
			s := str(r[0])
			if c > 0 && int64(len(s)) > (1<<40)/c {
				panic(&trap{msg: "strings: Repeat output length overflow"})
			}
			m.checkAlloc(int64(len(s)) * c)
			r[0] = strings.Repeat(s, int(c))
		}, nil},
		"strings.Split":  {2, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = toAny(strings.Split(str(r[0]), str(r[1]))) }, nil},
		"strings.Fields": {1, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = toAny(strings.Fields(str(r[0]))) }, nil},
		"strings.Join":   {2, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = strings.Join(strSlice(r[0]), str(r[1])) }, nil},
		"strings.IndexByte": {2, 1, func(m *Machine, g *G, n []uint64, r []any) {
			n[0] = uint64(strings.IndexByte(str(r[0]), byte(n[1])))
		}, nil},
		"strings.ContainsRune": {2, 1, func(m *Machine, g *G, n []uint64, r []any) {
			n[0] = b2u(strings.ContainsRune(str(r[0]), rune(n[1])))
		}, nil},
		"math.Inf":   {1, 1, func(m *Machine, g *G, n []uint64, r []any) { n[0] = u64(math.Inf(int(int64(n[0])))) }, nil},
		"math.NaN":   {0, 1, func(m *Machine, g *G, n []uint64, r []any) { n[0] = u64(math.NaN()) }, nil},
		"math.IsNaN": {1, 1, func(m *Machine, g *G, n []uint64, r []any) { n[0] = b2u(math.IsNaN(f64(n[0]))) }, nil},
		"math.IsInf": {2, 1, func(m *Machine, g *G, n []uint64, r []any) { n[0] = b2u(math.IsInf(f64(n[0]), int(int64(n[1])))) }, nil},
		"math.Pow":   f2(math.Pow),
		"math.Max":   f2(math.Max),
		"math.Min":   f2(math.Min),
		"math.Mod":   f2(math.Mod),
		"math.Hypot": f2(math.Hypot),
		"math.Atan2": f2(math.Atan2),
		"math.Ceil":  f1(math.Ceil),
		"math.Trunc": f1(math.Trunc),
		"math.Round": f1(math.Round),
		"math.Exp":   f1(math.Exp),
		"math.Log":   f1(math.Log),
		"math.Log2":  f1(math.Log2),
		"math.Log10": f1(math.Log10),
		"math.Sin":   f1(math.Sin),
		"math.Cos":   f1(math.Cos),
		"math.Tan":   f1(math.Tan),
		"math.Atan":  f1(math.Atan),
		"math.Cbrt":  f1(math.Cbrt),
		"time.now":   {0, 1, func(m *Machine, g *G, n []uint64, r []any) { n[0] = uint64(time.Now().UnixNano()) }, nil},
		"time.durationString": {1, 1, func(m *Machine, g *G, n []uint64, r []any) {
			r[0] = time.Duration(int64(n[0])).String()
		}, nil},
		"time.Sleep": {1, 0, nil, func(m *Machine, n []uint64, r []any) func() func([]uint64, []any) {
			d := time.Duration(int64(n[0]))
			return func() func([]uint64, []any) {
				if d > 0 {
					time.Sleep(d)
				}
				return func([]uint64, []any) {}
			}
		}},
		"os.args": {0, 1, func(m *Machine, g *G, n []uint64, r []any) { r[0] = toAny(m.opts.Args) }, nil},
		"os.write": {2, 2, func(m *Machine, g *G, n []uint64, r []any) {
			b, _ := r[1].([]byte)
			switch n[0] {
			case 1:
				m.out.Write(b)
			case 2:
				m.out.Flush()
				m.errw.Write(b)
			default:
				n[0], r[1] = 0, m.newError("write: bad file descriptor")
				return
			}
			n[0], r[1] = uint64(len(b)), nil
		}, nil},
		"os.Exit": {1, 0, func(m *Machine, g *G, n []uint64, r []any) {
			m.out.Flush()
			panic(&vmExit{code: int(int64(n[0]))})
		}, nil},
		"os.ReadFile": {1, 2, nil, func(m *Machine, n []uint64, r []any) func() func([]uint64, []any) {
			name := str(r[0])
			return func() func([]uint64, []any) {
				data, err := m.sandboxRead(name)
				return func(n []uint64, r []any) {
					r[0], r[1] = data, nil
					if err != nil {
						r[0], r[1] = nil, m.newError(err.Error())
					}
				}
			}
		}},
		"os.WriteFile": {3, 1, nil, func(m *Machine, n []uint64, r []any) func() func([]uint64, []any) {
			name := str(r[0])
			data, _ := r[1].([]byte)
			data = append([]byte(nil), data...)
			perm := os.FileMode(n[2] & 0o777)
			return func() func([]uint64, []any) {
				err := m.sandboxWrite(name, data, perm)
				return func(n []uint64, r []any) {
					r[0] = nil
					if err != nil {
						r[0] = m.newError(err.Error())
					}
				}
			}
		}},
		"bufio.readLine": {0, 2, nil, func(m *Machine, n []uint64, r []any) func() func([]uint64, []any) {
			return func() func([]uint64, []any) {
				m.stdinMu.Lock() // hybrid threads: several readers may run at once
				defer m.stdinMu.Unlock()
				line, err := m.stdin.ReadString('\n')
				ok := err == nil || line != ""
				line = strings.TrimSuffix(line, "\n")
				line = strings.TrimSuffix(line, "\r")
				return func(n []uint64, r []any) { r[0], n[1] = line, b2u(ok) }
			}
		}},
		"sort.lenOf": {1, 1, func(m *Machine, g *G, n []uint64, r []any) {
			iv, _ := r[0].(*Iface)
			n[0] = 0
			if iv != nil {
				n[0] = uint64(lenOf(iv.R))
			}
		}, nil},
		"sort.swap": {3, 0, func(m *Machine, g *G, n []uint64, r []any) {
			iv, _ := r[0].(*Iface)
			if iv == nil {
				return
			}
			i, j := n[1], n[2]
			l := uint64(lenOf(iv.R))
			if i >= l || j >= l {
				panic(&trap{msg: fmt.Sprintf("index out of range [%d] with length %d", max(i, j), l)})
			}
			switch s := iv.R.(type) {
			case []uint64:
				s[i], s[j] = s[j], s[i]
			case []byte:
				s[i], s[j] = s[j], s[i]
			case []any:
				s[i], s[j] = s[j], s[i]
			}
		}, nil},
		"runtime.NumGoroutine": {0, 1, func(m *Machine, g *G, n []uint64, r []any) { n[0] = uint64(len(m.gs)) }, nil},
		"runtime.GOMAXPROCS":   {1, 1, func(m *Machine, g *G, n []uint64, r []any) { n[0] = 1 }, nil},
		"runtime.fatal": {1, 0, func(m *Machine, g *G, n []uint64, r []any) {
			panic(&vmFatal{msg: "fatal error: " + str(r[0])})
		}, nil},
		"runtime.GC": {0, 0, func(m *Machine, g *G, n []uint64, r []any) { runtime.GC() }, nil},
	}
}

// blockingCall runs a blocking host function per the threads mode. It returns stYield when the
// call completed synchronously, stBlock when g waits for a kernel thread.
func (m *Machine) blockingCall(g *G, h *hostEntry, abs, w int) int {
	job := h.block(m, g.regs[abs:abs+w], g.refs[abs:abs+w])
	if m.opts.Threads == User || g.nested > 0 {
		m.out.Flush()
		apply := job()
		apply(g.regs[abs:abs+w], g.refs[abs:abs+w])
		return stYield
	}
	m.pend++
	g.wait = "syscall"
	go func() {
		apply := job()
		m.done <- completion{g: g, apply: func() { apply(g.regs[abs:abs+w], g.refs[abs:abs+w]) }}
	}()
	return stBlock
}

// resolve maps a guest path to a granted root and the path inside it.
func (m *Machine) resolve(name string) (*os.Root, string, error) {
	clean := path.Clean("/" + name)
	if !strings.HasPrefix(name, "/") {
		clean = path.Clean("/" + name)
	}
	for i, d := range m.opts.Dirs {
		g := path.Clean("/" + d.Guest)
		if clean == g {
			return m.roots[i], ".", nil
		}
		if strings.HasPrefix(clean, strings.TrimSuffix(g, "/")+"/") {
			return m.roots[i], strings.TrimPrefix(clean, strings.TrimSuffix(g, "/")+"/"), nil
		}
	}
	return nil, "", fmt.Errorf("open %s: permission denied (not under a directory granted with --dir)", name)
}

func (m *Machine) sandboxRead(name string) ([]byte, error) {
	root, rel, err := m.resolve(name)
	if err != nil {
		return nil, err
	}
	data, err := root.ReadFile(rel)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, unwrapPath(err))
	}
	if m.opts.MaxMemory > 0 && int64(len(data)) > m.opts.MaxMemory {
		return nil, fmt.Errorf("read %s: file larger than --max-memory", name)
	}
	return data, nil
}

func (m *Machine) sandboxWrite(name string, data []byte, perm os.FileMode) error {
	root, rel, err := m.resolve(name)
	if err != nil {
		return err
	}
	if err := root.WriteFile(rel, data, perm); err != nil {
		return fmt.Errorf("open %s: %w", name, unwrapPath(err))
	}
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// callSync runs a VM function to completion from host code (fmt calling String or Error).
func (m *Machine) callSync(g *G, f *fnInfo, n []uint64, r []any) (rn []uint64, rr []any) {
	depth := len(g.frames)
	cur := &g.frames[depth-1]
	nb := cur.base + cur.fn.nregs + 8
	if need := nb + f.nregs + 256; need > len(g.regs) {
		g.grow(need)
	}
	copy(g.regs[nb:], n)
	copy(g.refs[nb:], r)
	g.frames = append(g.frames, frame{fn: f, base: nb, flags: flagHostReturn})
	g.nested++
	defer func() {
		g.nested--
		g.frames = g.frames[:depth]
		if p := recover(); p != nil {
			if t, ok := p.(*trap); ok {
				t.pc = 0
			}
			panic(p)
		}
	}()
	st, _ := m.loop(g, math.MaxInt64)
	if st != stHostReturn {
		panic(&vmFatal{msg: "fatal error: " + errBlocking.Error()})
	}
	return append([]uint64(nil), g.regs[nb:nb+f.nresults]...), append([]any(nil), g.refs[nb:nb+f.nresults]...)
}

// methodString calls the Error or String method of v's dynamic type, if any.
func (m *Machine) methodString(g *G, v *Iface) (string, bool) {
	if v == nil || v.T == nil || v.T.meths == nil || g == nil {
		return "", false
	}
	if v.T == m.errType && m.errType != nil {
		s, _ := v.R.(*Struct).R[0].(string)
		return s, true
	}
	for _, name := range []string{"Error", "String"} {
		for mi, mn := range m.mnames {
			if mn != name || v.T.meths[mi] == nil {
				continue
			}
			f := v.T.meths[mi]
			if f.nparams != 1 || f.nresults != 1 {
				continue
			}
			recv := v.R
			if s, ok := recv.(*Struct); ok && !v.T.ptrRecv[mi] {
				recv = clone(s)
			}
			if v.T.kind == isa.KPointer && isNil(recv) && !v.T.ptrRecv[mi] {
				return "<nil>", true
			}
			_, rr := m.callSync(g, f, []uint64{v.N}, []any{recv})
			s, _ := rr[0].(string)
			return s, true
		}
	}
	return "", false
}
