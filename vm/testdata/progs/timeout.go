package main

import (
	"fmt"
	"time"
)

func main() {
	slow := make(chan string)
	go func() {
		time.Sleep(200 * time.Millisecond)
		slow <- "slow result"
	}()
	select {
	case r := <-slow:
		fmt.Println(r)
	case <-time.After(20 * time.Millisecond):
		fmt.Println("timeout")
	}
	fast := make(chan string, 1)
	fast <- "fast result"
	select {
	case r := <-fast:
		fmt.Println(r)
	case <-time.After(time.Second):
		fmt.Println("timeout")
	}
	d := 1500 * time.Millisecond
	fmt.Println(d, d.Seconds(), time.Duration(90)*time.Second)
}
