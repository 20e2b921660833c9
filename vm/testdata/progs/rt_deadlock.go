package main

// expect runtime error: fatal error: all goroutines are asleep - deadlock!

import "fmt"

func main() {
	ch := make(chan int)
	fmt.Println("waiting")
	<-ch
}
