package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	n := 0
	for sc.Scan() {
		n++
		fmt.Println(n, strings.ToUpper(sc.Text()))
	}
	fmt.Fprintln(os.Stderr, "to stderr")
	fmt.Println("lines", n)
}
