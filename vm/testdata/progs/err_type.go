package main

// expect error: undefined: y

import "fmt"

func main() {
	x := 1
	fmt.Println(x + y)
}
