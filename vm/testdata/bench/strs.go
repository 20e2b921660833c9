package main

import (
	"fmt"
	"strconv"
	"strings"
)

func main() {
	var sb strings.Builder
	for i := 0; i < 1000000; i++ {
		sb.WriteString(strconv.Itoa(i))
		sb.WriteByte(' ')
	}
	s := sb.String()
	words := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			words++
		}
	}
	fmt.Println(len(s), words)
}
