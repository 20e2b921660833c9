package main

// expect runtime error: main.main.func1()

// The receiver is woken by the send and runs straight after it (the fast loop's switch);
// its panic must be reported as its own.

func main() {
	c := make(chan int)
	done := make(chan bool)
	go func() {
		v := <-c
		var a []int
		_ = a[v]
		done <- true
	}()
	c <- 5
	<-done
}
