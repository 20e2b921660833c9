package main

// expect runtime error: panic: boom

import "fmt"

func f() {
	defer fmt.Println("deferred before crash")
	panic("boom")
}

func main() {
	f()
}
