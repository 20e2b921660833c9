package main

// expect runtime error: interface conversion: interface {} is string, not int

import "fmt"

func main() {
	var v any = "text"
	fmt.Println("converting")
	n := v.(int)
	fmt.Println(n)
}
