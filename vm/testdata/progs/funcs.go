package main

import "fmt"

func divmod(a, b int) (int, int) { return a / b, a % b }

func named(x int) (sq, cube int) {
	sq = x * x
	cube = sq * x
	return
}

func sum(xs ...int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func apply(f func(int) int, v int) int { return f(v) }

func counter() func() int {
	c := 0
	return func() int {
		c++
		return c
	}
}

func fact(n int) int {
	if n <= 1 {
		return 1
	}
	return n * fact(n-1)
}

func ackermann(m, n int) int {
	if m == 0 {
		return n + 1
	}
	if n == 0 {
		return ackermann(m-1, 1)
	}
	return ackermann(m-1, ackermann(m, n-1))
}

func main() {
	q, r := divmod(17, 5)
	fmt.Println(q, r)
	fmt.Println(divmod(9, 4))
	fmt.Println(named(3))
	fmt.Println(sum(), sum(1, 2, 3), sum([]int{4, 5}...))
	double := func(x int) int { return 2 * x }
	fmt.Println(apply(double, 21))
	c := counter()
	c()
	c()
	fmt.Println(c())
	fmt.Println(fact(10), ackermann(2, 3))
	var funcs []func() int
	for i := 0; i < 3; i++ {
		funcs = append(funcs, func() int { return i * 10 })
	}
	for _, f := range funcs {
		fmt.Print(f(), " ")
	}
	fmt.Println()
	x := 1
	inc := func() { x++ }
	inc()
	inc()
	fmt.Println("x", x)
	adder := func(a int) func(int) int {
		return func(b int) int { return a + b + x }
	}
	fmt.Println(adder(10)(5))
	var fv func(int) int = fact
	fmt.Println(fv(5))
}
