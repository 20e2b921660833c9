package main

// expect runtime error: invalid memory address or nil pointer dereference

import "fmt"

type T struct{ X int }

func main() {
	var p *T
	fmt.Println("start")
	fmt.Println(p.X)
}
