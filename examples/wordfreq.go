//go:build ignore

// wordfreq: counts words on stdin (bufio.Scanner, maps, sort, Printf widths).
//
//	echo "a b a c b a" | minictr vm run examples/wordfreq.go
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	counts := map[string]int{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		for _, w := range strings.Fields(sc.Text()) {
			counts[strings.ToLower(w)]++
		}
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		fmt.Printf("%-10s %3d\n", w, counts[w])
	}
}
