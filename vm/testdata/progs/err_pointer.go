package main

// expect error: unsupported: pointer to non-struct type int

import "fmt"

func main() {
	x := 1
	p := &x
	fmt.Println(*p)
}
