package main

import (
	"fmt"
	"sort"
)

func main() {
	m := map[string]int{"one": 1, "two": 2}
	m["three"] = 3
	v, ok := m["two"]
	fmt.Println(v, ok)
	v, ok = m["four"]
	fmt.Println(v, ok, len(m))
	delete(m, "one")
	fmt.Println(m, len(m))
	counts := map[int]int{}
	for i := 0; i < 100; i++ {
		counts[i%7]++
	}
	keys := []int{}
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		fmt.Print(k, ":", counts[k], " ")
	}
	fmt.Println()
	sum := 0
	for _, c := range counts {
		sum += c
	}
	fmt.Println(sum)
	var nm map[string]bool
	fmt.Println(nm["x"], len(nm))
	words := map[string][]string{}
	words["a"] = append(words["a"], "apple", "avocado")
	fmt.Println(words)
	type pt struct{ x, y int }
	pm := map[string]pt{"o": {0, 0}}
	pm["p"] = pt{1, 2}
	fmt.Println(pm["p"].y, pm["missing"])
	fm := map[float64]string{1.5: "x"}
	fmt.Println(fm[1.5])
	names := []string{}
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Println(names)
}
