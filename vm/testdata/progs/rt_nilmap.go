package main

// expect runtime error: panic: assignment to entry in nil map

func main() {
	var m map[string]int
	m["a"] = 1
}
