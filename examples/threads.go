//go:build ignore

// threads: the difference between --threads=user and --threads=hybrid.
//
// Goroutines are green threads scheduled by the VM on one OS thread. With --threads=user a
// blocking host call (time.Sleep here) blocks every green thread: the ticker goroutine prints
// nothing while main sleeps. With --threads=hybrid (the default) the sleep runs on a kernel
// thread and the ticker keeps going.
//
//	minictr vm run --threads=user examples/threads.go
//	minictr vm run --threads=hybrid examples/threads.go
package main

import (
	"fmt"
	"time"
)

func main() {
	done := make(chan bool)
	ticks := 0
	go func() {
		start := time.Now()
		for time.Since(start) < 200*time.Millisecond {
			ticks++
			time.Sleep(20 * time.Millisecond)
		}
		done <- true
	}()
	time.Sleep(100 * time.Millisecond) // blocks everything with --threads=user
	fmt.Println("ticks while main slept:", ticks)
	<-done
	fmt.Println("ticks in total:", ticks)
}
