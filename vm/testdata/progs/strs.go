package main

import (
	"fmt"
	"strconv"
	"strings"
)

func main() {
	s := "héllo, 世界"
	fmt.Println(len(s), s[0], s[1:3] == "é", s[:1])
	for i, r := range s {
		fmt.Print(i, ":", string(r), " ")
	}
	fmt.Println()
	rs := []rune(s)
	fmt.Println(len(rs), string(rs[7:]))
	b := []byte("abc")
	b = append(b, "def"...)
	fmt.Println(string(b))
	var sb strings.Builder
	for i := 0; i < 5; i++ {
		sb.WriteString(strconv.Itoa(i))
		sb.WriteByte(',')
	}
	sb.WriteRune('✓')
	fmt.Println(sb.String(), sb.Len())
	fmt.Println(strings.Repeat("ab", 3), strings.Contains("seafood", "foo"), strings.Index("chicken", "ken"))
	fmt.Println(strings.ToUpper("hi"), strings.TrimSpace("  x  "), strings.Fields(" a b  c "), strings.HasPrefix("golang", "go"))
	fmt.Println(strings.Split("a b c", " "), strings.Join([]string{"x", "y"}, "+"), strings.ReplaceAll("oink oink", "k", "ky"))
	n, err := strconv.Atoi("123")
	fmt.Println(n+1, err)
	_, err = strconv.Atoi("12a")
	fmt.Println(err)
	fmt.Println(strconv.FormatFloat(3.14159, 'f', 2, 64), strconv.Quote("hi\n"), strconv.FormatInt(255, 16))
	x := "a" + "b"
	x += "c"
	fmt.Println(x, x == "abc", x < "abd", x > "ab")
	c := s[0]
	fmt.Println(c, string(rune(c)), 'x')
	fmt.Println(strings.Count("cheese", "e"), strings.LastIndex("go gopher", "go"), strings.TrimPrefix("prefix-x", "prefix-"))
}
