package main

// expect error: unsupported: method value

import "fmt"

type T struct{}

func (T) M() int { return 1 }

func main() {
	f := T{}.M
	fmt.Println(f())
}
