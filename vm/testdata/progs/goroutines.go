package main

import (
	"fmt"
	"sync"
)

func worker(id int, jobs <-chan int, results chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		results <- j * j
	}
	_ = id
}

func main() {
	ch := make(chan int)
	go func() {
		for i := 0; i < 5; i++ {
			ch <- i
		}
		close(ch)
	}()
	sum := 0
	for v := range ch {
		sum += v
	}
	fmt.Println("sum", sum)

	jobs := make(chan int, 100)
	results := make(chan int, 100)
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go worker(w, jobs, results, &wg)
	}
	for i := 1; i <= 9; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(results)
	total := 0
	for r := range results {
		total += r
	}
	fmt.Println("total", total)

	ping, pong := make(chan string), make(chan string)
	go func() {
		for i := 0; i < 3; i++ {
			msg := <-ping
			pong <- msg + "-pong"
		}
	}()
	for i := 0; i < 3; i++ {
		ping <- fmt.Sprint("ping", i)
		fmt.Println(<-pong)
	}

	done := make(chan bool)
	data := make(chan int)
	go func() {
		for i := 0; i < 3; i++ {
			data <- i
		}
		done <- true
	}()
	got := 0
	for running := true; running; {
		select {
		case v := <-data:
			got += v
		case <-done:
			running = false
		}
	}
	fmt.Println("got", got)
	sel := make(chan int, 1)
	select {
	case v := <-sel:
		fmt.Println("unexpected", v)
	default:
		fmt.Println("default case")
	}
	sel <- 4
	select {
	case v, ok := <-sel:
		fmt.Println("received", v, ok)
	default:
		fmt.Println("no")
	}
	var mu sync.Mutex
	counter := 0
	var wg2 sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			mu.Lock()
			counter++
			mu.Unlock()
		}()
	}
	wg2.Wait()
	fmt.Println("counter", counter)
	c2 := make(chan int, 2)
	c2 <- 1
	close(c2)
	a, ok1 := <-c2
	b, ok2 := <-c2
	fmt.Println(a, ok1, b, ok2, len(c2), cap(c2))
}
