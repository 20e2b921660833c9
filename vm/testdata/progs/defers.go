package main

import (
	"errors"
	"fmt"
)

func order() {
	for i := 0; i < 3; i++ {
		defer fmt.Println("deferred", i)
	}
	fmt.Println("body")
}

func safeDiv(a, b int) (q int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	q = a / b
	return
}

func triple() (n int) {
	defer func() { n *= 3 }()
	return 5
}

func nested() {
	defer func() {
		r := recover()
		fmt.Println("outer recovered:", r)
	}()
	func() {
		defer fmt.Println("inner defer runs")
		panic("deep")
	}()
	fmt.Println("not reached")
}

func index(s []int, i int) (v int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New(fmt.Sprint(r))
		}
	}()
	return s[i], nil
}

func main() {
	order()
	fmt.Println(safeDiv(10, 2))
	fmt.Println(safeDiv(1, 0))
	fmt.Println(triple())
	nested()
	fmt.Println(index([]int{1, 2}, 5))
	fmt.Println(recover())
	defer fmt.Println("main deferred")
	fmt.Println("end of main")
}
