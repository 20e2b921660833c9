package compiler

// The standard packages a program may import. Functions without a body are host intrinsics
// (implemented by the interpreter under the name "pkg.Func"); the rest is compiled like user
// code. go/types checks programs against these declarations, so a program calling something
// absent gets an ordinary type error with its position.
var stubs = map[string]string{
	"errors": `package errors
type errorString struct{ s string }
func (e *errorString) Error() string { return e.s }
func New(text string) error { return &errorString{text} }
func Is(err, target error) bool { return err == target }
`,
	"io": `package io
import "errors"
type Reader interface{ Read(p []byte) (n int, err error) }
type Writer interface{ Write(p []byte) (n int, err error) }
var EOF = errors.New("EOF")
`,
	"fmt": `package fmt
import (
	"errors"
	"io"
)
type Stringer interface{ String() string }
func Println(a ...any) (n int, err error)
func Print(a ...any) (n int, err error)
func Printf(format string, a ...any) (n int, err error)
func Sprintf(format string, a ...any) string
func Sprint(a ...any) string
func Sprintln(a ...any) string
func Errorf(format string, a ...any) error { return errors.New(Sprintf(format, a...)) }
func Fprintln(w io.Writer, a ...any) (n int, err error) { return w.Write([]byte(Sprintln(a...))) }
func Fprint(w io.Writer, a ...any) (n int, err error) { return w.Write([]byte(Sprint(a...))) }
func Fprintf(w io.Writer, format string, a ...any) (n int, err error) { return w.Write([]byte(Sprintf(format, a...))) }
`,
	"strconv": `package strconv
func Itoa(i int) string
func Atoi(s string) (int, error)
func FormatInt(i int64, base int) string
func ParseInt(s string, base int, bitSize int) (int64, error)
func ParseFloat(s string, bitSize int) (float64, error)
func FormatFloat(f float64, fmt byte, prec, bitSize int) string
func FormatBool(b bool) string
func Quote(s string) string
`,
	"strings": `package strings
type Builder struct{ buf []byte }
func (b *Builder) WriteString(s string) (int, error) { b.buf = append(b.buf, s...); return len(s), nil }
func (b *Builder) WriteByte(c byte) error { b.buf = append(b.buf, c); return nil }
func (b *Builder) WriteRune(r rune) (int, error) { s := string(r); b.buf = append(b.buf, s...); return len(s), nil }
func (b *Builder) Write(p []byte) (int, error) { b.buf = append(b.buf, p...); return len(p), nil }
func (b *Builder) String() string { return string(b.buf) }
func (b *Builder) Len() int { return len(b.buf) }
func (b *Builder) Cap() int { return cap(b.buf) }
func (b *Builder) Reset() { b.buf = nil }
func (b *Builder) Grow(n int) {
	if cap(b.buf)-len(b.buf) < n {
		nb := make([]byte, len(b.buf), 2*cap(b.buf)+n)
		copy(nb, b.buf)
		b.buf = nb
	}
}
func Contains(s, substr string) bool
func ContainsRune(s string, r rune) bool
func HasPrefix(s, prefix string) bool
func HasSuffix(s, suffix string) bool
func EqualFold(s, t string) bool
func Index(s, substr string) int
func IndexByte(s string, c byte) int
func LastIndex(s, substr string) int
func Count(s, substr string) int
func Compare(a, b string) int
func ToUpper(s string) string
func ToLower(s string) string
func TrimSpace(s string) string
func Trim(s, cutset string) string
func TrimLeft(s, cutset string) string
func TrimRight(s, cutset string) string
func TrimPrefix(s, prefix string) string
func TrimSuffix(s, suffix string) string
func ReplaceAll(s, old, new string) string
func Replace(s, old, new string, n int) string
func Repeat(s string, count int) string
func Split(s, sep string) []string
func Fields(s string) []string
func Join(elems []string, sep string) string
`,
	"math": `package math
const (
	MaxInt    = 1<<63 - 1
	MinInt    = -1 << 63
	MaxInt8   = 1<<7 - 1
	MinInt8   = -1 << 7
	MaxInt16  = 1<<15 - 1
	MinInt16  = -1 << 15
	MaxInt32  = 1<<31 - 1
	MinInt32  = -1 << 31
	MaxInt64  = 1<<63 - 1
	MinInt64  = -1 << 63
	MaxUint8  = 1<<8 - 1
	MaxUint16 = 1<<16 - 1
	MaxUint32 = 1<<32 - 1
	MaxUint64 = 1<<64 - 1
	MaxUint   = 1<<64 - 1
	Pi        = 3.14159265358979323846264338327950288419716939937510582097494459
	E         = 2.71828182845904523536028747135266249775724709369995957496696763
	Sqrt2     = 1.41421356237309504880168872420969807856967187537694807317667974
	Ln2       = 0.693147180559945309417232121458176568075500134360255254120680009
	MaxFloat64             = 0x1p1023 * (1 + (1 - 0x1p-52))
	SmallestNonzeroFloat64 = 0x1p-1022 * 0x1p-52
	MaxFloat32             = 0x1p127 * (1 + (1 - 0x1p-23))
)
func Sqrt(x float64) float64
func Floor(x float64) float64
func Abs(x float64) float64
func Ceil(x float64) float64
func Trunc(x float64) float64
func Round(x float64) float64
func Inf(sign int) float64
func NaN() float64
func IsNaN(f float64) bool
func IsInf(f float64, sign int) bool
func Pow(x, y float64) float64
func Max(x, y float64) float64
func Min(x, y float64) float64
func Mod(x, y float64) float64
func Hypot(p, q float64) float64
func Atan2(y, x float64) float64
func Exp(x float64) float64
func Log(x float64) float64
func Log2(x float64) float64
func Log10(x float64) float64
func Sin(x float64) float64
func Cos(x float64) float64
func Tan(x float64) float64
func Atan(x float64) float64
func Cbrt(x float64) float64
`,
	"time": `package time
type Duration int64
const (
	Nanosecond  Duration = 1
	Microsecond          = 1000 * Nanosecond
	Millisecond          = 1000 * Microsecond
	Second               = 1000 * Millisecond
	Minute               = 60 * Second
	Hour                 = 60 * Minute
)
type Time struct{ ns int64 }
func now() int64
func durationString(d int64) string
func Now() Time { return Time{now()} }
func Since(t Time) Duration { return Duration(now() - t.ns) }
func (t Time) Sub(u Time) Duration { return Duration(t.ns - u.ns) }
func (t Time) UnixNano() int64 { return t.ns }
func (t Time) Unix() int64 { return t.ns / 1000000000 }
func Sleep(d Duration)
func After(d Duration) <-chan Time {
	c := make(chan Time, 1)
	go func() {
		Sleep(d)
		c <- Now()
	}()
	return c
}
func (d Duration) String() string { return durationString(int64(d)) }
func (d Duration) Seconds() float64 { return float64(d) / 1e9 }
func (d Duration) Milliseconds() int64 { return int64(d) / 1000000 }
func (d Duration) Microseconds() int64 { return int64(d) / 1000 }
func (d Duration) Nanoseconds() int64 { return int64(d) }
`,
	"os": `package os
type FileMode uint32
type File struct{ fd int }
var (
	Stdin  = &File{0}
	Stdout = &File{1}
	Stderr = &File{2}
)
func args() []string
var Args = args()
func Exit(code int)
func ReadFile(name string) ([]byte, error)
func WriteFile(name string, data []byte, perm FileMode) error
func write(fd int, b []byte) (int, error)
func (f *File) Write(b []byte) (n int, err error) { return write(f.fd, b) }
func (f *File) WriteString(s string) (n int, err error) { return write(f.fd, []byte(s)) }
func (f *File) Read(b []byte) (n int, err error) { return 0, nil }
`,
	"bufio": `package bufio
import "io"
type Scanner struct {
	line string
	done bool
}
func NewScanner(r io.Reader) *Scanner { return &Scanner{} }
func readLine() (string, bool)
func (s *Scanner) Scan() bool {
	if s.done {
		return false
	}
	l, ok := readLine()
	if !ok {
		s.done = true
		s.line = ""
		return false
	}
	s.line = l
	return true
}
func (s *Scanner) Text() string { return s.line }
func (s *Scanner) Err() error { return nil }
func (s *Scanner) Buffer(buf []byte, max int) {}
type Writer struct{ w io.Writer }
func NewWriter(w io.Writer) *Writer { return &Writer{w} }
func (b *Writer) Write(p []byte) (int, error) { return b.w.Write(p) }
func (b *Writer) WriteString(s string) (int, error) { return b.w.Write([]byte(s)) }
func (b *Writer) Flush() error { return nil }
`,
	"sync": `package sync
type WaitGroup struct {
	n       int
	waiters []chan bool
}
func (wg *WaitGroup) Add(d int) {
	wg.n += d
	if wg.n < 0 {
		panic("sync: negative WaitGroup counter")
	}
	if wg.n == 0 {
		for _, c := range wg.waiters {
			close(c)
		}
		wg.waiters = nil
	}
}
func (wg *WaitGroup) Done() { wg.Add(-1) }
func (wg *WaitGroup) Wait() {
	if wg.n == 0 {
		return
	}
	c := make(chan bool)
	wg.waiters = append(wg.waiters, c)
	<-c
}
type Mutex struct {
	locked  bool
	waiters []chan bool
}
func (m *Mutex) Lock() {
	for m.locked {
		c := make(chan bool)
		m.waiters = append(m.waiters, c)
		<-c
	}
	m.locked = true
}
func (m *Mutex) Unlock() {
	if !m.locked {
		panic("sync: unlock of unlocked mutex")
	}
	m.locked = false
	if len(m.waiters) > 0 {
		c := m.waiters[0]
		m.waiters = m.waiters[1:]
		close(c)
	}
}
`,
	"runtime": `package runtime
type Error interface {
	error
	RuntimeError()
}
func Gosched()
func NumGoroutine() int
func GOMAXPROCS(n int) int
func GC()
`,
	"sort": `package sort
func lenOf(x any) int
func swap(x any, i, j int)
func Slice(x any, less func(i, j int) bool) { quickSlice(x, less, 0, lenOf(x)-1) }
func quickSlice(x any, less func(i, j int) bool, lo, hi int) {
	for lo < hi {
		swap(x, (lo+hi)/2, hi)
		p := lo
		for i := lo; i < hi; i++ {
			if less(i, hi) {
				swap(x, i, p)
				p++
			}
		}
		swap(x, p, hi)
		if p-lo < hi-p {
			quickSlice(x, less, lo, p-1)
			lo = p + 1
		} else {
			quickSlice(x, less, p+1, hi)
			hi = p - 1
		}
	}
}
func SliceStable(x any, less func(i, j int) bool) {
	n := lenOf(x)
	for i := 1; i < n; i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			swap(x, j, j-1)
		}
	}
}
func Ints(x []int) { quickInts(x, 0, len(x)-1) }
func quickInts(x []int, lo, hi int) {
	for lo < hi {
		p := x[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for x[i] < p {
				i++
			}
			for x[j] > p {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		if j-lo < hi-i {
			quickInts(x, lo, j)
			lo = i
		} else {
			quickInts(x, i, hi)
			hi = j
		}
	}
}
func Strings(x []string) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}
func Float64s(x []float64) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}
`,
	// runtime errors raised by the VM are values of this type (its first field is the message).
	"vmrt": `package vmrt
type RuntimeErr struct{ msg string }
func (e RuntimeErr) Error() string { return e.msg }
func (e RuntimeErr) RuntimeError() {}
`,
}
