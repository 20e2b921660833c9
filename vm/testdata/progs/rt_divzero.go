package main

// expect runtime error: panic: runtime error: integer divide by zero

import "fmt"

func div(a, b int) int { return a / b }

func main() {
	fmt.Println("before")
	fmt.Println(div(1, 0))
}
