//go:build ignore

// fib: recursive Fibonacci on the minictr process VM.
//
//	minictr vm run examples/fib.go
//	minictr vm build -o fib.mbc examples/fib.go && minictr vm run fib.mbc --fuel 1e9
package main

import (
	"fmt"
	"time"
)

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	start := time.Now()
	fmt.Println("fib(30) =", fib(30))
	fmt.Println("took", time.Since(start) > 0)
}
