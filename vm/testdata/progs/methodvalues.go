package main

import (
	"fmt"
	"strings"
)

type Acc struct{ total int }

func (a *Acc) Add(n int)       { a.total += n }
func (a Acc) Show() string     { return fmt.Sprint("total=", a.total) }
func apply(f func(int), n int) { f(n) }

type Shower interface{ Show() string }

func main() {
	a := &Acc{}
	add := a.Add
	for i := 1; i <= 4; i++ {
		apply(add, i)
	}
	show := a.Show // receiver copied now
	a.Add(100)
	fmt.Println(show(), a.Show())
	var s Shower = *a
	f := s.Show
	fmt.Println(f())
	var sb strings.Builder
	w := sb.WriteString
	w("x")
	w("y")
	fmt.Println(sb.String())
}
