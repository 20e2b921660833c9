package main

import "fmt"

func main() {
	const n = 1000000
	m := make(map[int]int)
	for i := 0; i < n; i++ {
		m[i*7] = i
	}
	sum := 0
	for i := 0; i < n; i++ {
		sum += m[i*7]
	}
	hits := 0
	for i := 0; i < n; i++ {
		if _, ok := m[i]; ok {
			hits++
		}
	}
	fmt.Println(len(m), sum, hits)
}
