package main

// expect runtime error: panic: worker failed

import "time"

func worker() {
	panic("worker failed")
}

func main() {
	go worker()
	time.Sleep(time.Second)
}
