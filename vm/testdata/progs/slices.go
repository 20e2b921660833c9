package main

import (
	"fmt"
	"strings"
)

func main() {
	s := make([]int, 3, 10)
	fmt.Println(s, len(s), cap(s))
	s = append(s, 1, 2)
	s[0] = 9
	fmt.Println(s, len(s))
	t := s[1:4]
	t[0] = 7
	fmt.Println(s, t, len(t), cap(t))
	var nilS []string
	fmt.Println(nilS == nil, len(nilS))
	nilS = append(nilS, "a", "b")
	fmt.Println(nilS, strings.Join(nilS, "-"))
	grid := make([][]int, 3)
	for i := range grid {
		grid[i] = make([]int, 3)
		for j := range grid[i] {
			grid[i][j] = i * j
		}
	}
	fmt.Println(grid)
	c := make([]int, 2)
	n := copy(c, []int{5, 6, 7})
	fmt.Println(n, c)
	bs := []byte("hello")
	bs[0] = 'j'
	fmt.Println(string(bs), bs)
	fl := []float64{1.5, 2.25}
	fl = append(fl, 3)
	fmt.Println(fl)
	bools := make([]bool, 4)
	bools[2] = true
	fmt.Println(bools)
	u := s[:]
	fmt.Println(len(u), s[len(s)-1], s[:2], s[3:])
	var arr [5]int
	arr[2] = 4
	arr2 := arr
	arr2[0] = 1
	fmt.Println(arr, arr2, len(arr))
	sl := arr[1:3]
	sl[0] = 8
	fmt.Println(arr, sl)
	words := strings.Split("a,b,c", ",")
	for i, w := range words {
		fmt.Print(i, w, ";")
	}
	fmt.Println()
	s3 := s[1:2:3]
	fmt.Println(len(s3), cap(s3))
	primes := []int{2, 3, 5, 7, 11}
	total := 0
	for _, p := range primes {
		total += p
	}
	fmt.Println(total)
}
