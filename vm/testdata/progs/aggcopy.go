package main

import "fmt"

type P struct {
	X int
	T [2]string
}

func main() {
	a := []P{{1, [2]string{"a", "b"}}, {2, [2]string{"c", "d"}}}
	b := append([]P{}, a...)
	b[0].X = 100
	b[1].T[0] = "z"
	fmt.Println(a, b)
	c := make([]P, 3)
	n := copy(c, a)
	c[1].X = 7
	fmt.Println(n, a, c)
	s := []P{{1, [2]string{}}, {2, [2]string{}}, {3, [2]string{}}}
	copy(s[1:], s)
	fmt.Println(s)
	s[0].X = 50
	fmt.Println(s[0].X, s[1].X)
	grid := [][2]int{{1, 2}}
	grid = append(grid, grid...)
	grid[0][0] = 9
	fmt.Println(grid)
}
