package main

import "fmt"

// Three goroutines in a pipeline over unbuffered channels, plus a buffered one: every hop
// is a park and a wake-up, in a fixed order.

func gen(n int, out chan<- int) {
	for i := 0; i < n; i++ {
		out <- i
	}
	close(out)
}

func square(in <-chan int, out chan<- int) {
	for v := range in {
		out <- v * v
	}
	close(out)
}

func main() {
	a := make(chan int)
	b := make(chan int)
	c := make(chan string, 3)
	go gen(2000, a)
	go square(a, b)
	go func() {
		sum := 0
		n := 0
		for v := range b {
			sum += v
			n++
			if n%500 == 0 {
				c <- fmt.Sprint(n, " ", sum)
			}
		}
		c <- "end"
		close(c)
	}()
	for s := range c {
		fmt.Println(s)
	}
	quit := make(chan bool)
	res := make(chan int)
	go func() {
		total := 0
		for {
			select {
			case v := <-res:
				total += v
			case <-quit:
				fmt.Println("total", total)
				quit <- true
				return
			}
		}
	}()
	for i := 1; i <= 100; i++ {
		res <- i
	}
	quit <- true
	<-quit
}
