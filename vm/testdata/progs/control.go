package main

import "fmt"

func classify(n int) string {
	switch {
	case n < 0:
		return "neg"
	case n == 0:
		return "zero"
	case n < 10:
		return "small"
	}
	return "big"
}

func main() {
	for i := 0; i < 3; i++ {
		fmt.Println("i", i)
	}
	j := 0
	for j < 5 {
		j += 2
	}
	fmt.Println("j", j)
	k := 0
	for {
		k++
		if k == 4 {
			break
		}
		if k%2 == 0 {
			continue
		}
		fmt.Println("odd k", k)
	}
	for i := range 3 {
		fmt.Print(i, " ")
	}
	fmt.Println()
	for _, n := range []int{-5, 0, 5, 50} {
		fmt.Println(n, classify(n))
	}
	switch x := 2; x {
	case 1:
		fmt.Println("one")
	case 2:
		fmt.Println("two")
		fallthrough
	case 3:
		fmt.Println("three (fallthrough)")
	case 4:
		fmt.Println("four")
	default:
		fmt.Println("default")
	}
	switch "go" {
	case "c", "go":
		fmt.Println("language")
	}
outer:
	for a := 0; a < 3; a++ {
		for b := 0; b < 3; b++ {
			if b == 2 {
				continue outer
			}
			if a == 2 {
				break outer
			}
			fmt.Println(a, b)
		}
	}
	if v := classify(3); v == "small" {
		fmt.Println("if-init", v)
	} else if v == "big" {
		fmt.Println("no")
	} else {
		fmt.Println("else")
	}
	count := 0
	for i := 10; i > 0; i -= 3 {
		count++
	}
	fmt.Println("count", count)
	t := true
	if !t || count > 100 {
		fmt.Println("bad")
	} else if t && count == 4 {
		fmt.Println("and ok")
	}
}
