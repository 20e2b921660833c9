package main

import "fmt"

type Namer interface{ Name() string }
type Greeter interface {
	Namer
	Greet(string) string
}

type Base struct{ id int }

func (b Base) Name() string           { return fmt.Sprint("base#", b.id) }
func (b *Base) Greet(s string) string { b.id++; return s + " from " + b.Name() }

type Mid struct {
	*Base
	tag string
}

type Top struct {
	Mid
	extra int
}

func main() {
	t := Top{Mid{&Base{1}, "m"}, 9}
	var n Namer = t
	fmt.Println(n.Name())
	var g Greeter = &t
	fmt.Println(g.Greet("hi"), g.Name())
	fmt.Println(t.Greet("yo"), t.id, t.tag)
	things := []Namer{Base{5}, t, &t}
	for _, x := range things {
		fmt.Println(x.Name())
	}
}
