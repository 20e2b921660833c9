package main

// expect error: unsupported: generic function

import "fmt"

func Map[T any](xs []T, f func(T) T) []T {
	for i := range xs {
		xs[i] = f(xs[i])
	}
	return xs
}

func main() {
	fmt.Println(Map([]int{1}, func(x int) int { return x }))
}
