package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

type IntList []int

func (l IntList) Sum() int {
	s := 0
	for _, v := range l {
		s += v
	}
	return s
}

type Counter struct{ n int }

func (c Counter) IncCopy() int { c.n++; return c.n }
func (c *Counter) Inc()        { c.n++ }

type Animal interface{ Sound() string }
type Dog struct{ name string }
type Cat struct{ lives int }

func (d Dog) Sound() string  { return d.name + " says woof" }
func (c *Cat) Sound() string { c.lives--; return fmt.Sprint("meow ", c.lives) }

type Grid [3][3]int

type Stack struct{ items []string }

func (s *Stack) Push(x string) { s.items = append(s.items, x) }
func (s *Stack) Pop() (string, bool) {
	if len(s.items) == 0 {
		return "", false
	}
	x := s.items[len(s.items)-1]
	s.items = s.items[:len(s.items)-1]
	return x, true
}

var ErrEmpty = errors.New("empty")

func first(xs []int) (int, error) {
	if len(xs) == 0 {
		return 0, ErrEmpty
	}
	return xs[0], nil
}

func repanic() (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint("second: ", r)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprint("re-", r))
		}
	}()
	panic("first")
}

func main() {
	fmt.Println(IntList{1, 2, 3}.Sum())
	c := Counter{}
	fmt.Println(c.IncCopy(), c.n)
	c.Inc()
	c.Inc()
	fmt.Println(c.n)
	animals := []Animal{Dog{"rex"}, &Cat{9}}
	for _, a := range animals {
		fmt.Println(a.Sound())
	}
	fmt.Println(animals[1].Sound())
	var g Grid
	g[1][2] = 5
	h := g
	h[1][2] = 6
	fmt.Println(g, h[1])
	st := &Stack{}
	for _, w := range strings.Fields("a b c") {
		st.Push(w)
	}
	for {
		x, ok := st.Pop()
		if !ok {
			break
		}
		fmt.Print(x)
	}
	fmt.Println()
	if _, err := first(nil); errors.Is(err, ErrEmpty) {
		fmt.Println("error is ErrEmpty:", err)
	}
	fmt.Println(repanic())
	var fs []func() string
	for _, s := range []string{"x", "y"} {
		fs = append(fs, func() string { return s })
	}
	for _, f := range fs {
		fmt.Print(f())
	}
	fmt.Println()
	type kv struct {
		k string
		v int
	}
	m := map[string]int{"b": 2, "a": 1, "c": 3}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
	fmt.Println(kvs)
	x := 1
	{
		x := 2
		x++
		_ = x
	}
	fmt.Println("shadow", x)
	switch v := any(3.5).(type) {
	case int, float64:
		fmt.Printf("number %v\n", v)
	}
	bad := "a\xffb"
	for i, r := range bad {
		fmt.Print(i, r, " ")
	}
	fmt.Println(len(bad))
	var iface any = Counter{7}
	if cc, ok := iface.(Counter); ok {
		cc.n = 100
		fmt.Println(cc.n, iface.(Counter).n)
	}
	total := 0
	for i := range 10 {
		if i%2 == 0 {
			continue
		}
		total += i
	}
	fmt.Println(total)
	b := []byte{}
	for i := 0; i < 3; i++ {
		b = append(b, byte('a'+i))
	}
	fmt.Println(string(b), strings.Repeat("-", 5))
	fmt.Println(fmt.Sprintf("%5.1f|%-4s|%03d", 3.14159, "ab", 7))
}
