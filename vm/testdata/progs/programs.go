package main

import (
	"fmt"
	"strings"
)

type Tree struct {
	Left, Right *Tree
	Val         int
}

func build(d int) *Tree {
	if d == 0 {
		return &Tree{Val: 1}
	}
	return &Tree{build(d - 1), build(d - 1), d}
}

func (t *Tree) Count() int {
	if t == nil {
		return 0
	}
	return 1 + t.Left.Count() + t.Right.Count()
}

func solve(n, row int, cols, d1, d2 []bool) int {
	if row == n {
		return 1
	}
	c := 0
	for col := 0; col < n; col++ {
		if cols[col] || d1[row+col] || d2[row-col+n-1] {
			continue
		}
		cols[col], d1[row+col], d2[row-col+n-1] = true, true, true
		c += solve(n, row+1, cols, d1, d2)
		cols[col], d1[row+col], d2[row-col+n-1] = false, false, false
	}
	return c
}

type Token struct {
	Kind string
	Text string
}

func lex(s string) []Token {
	var out []Token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			out = append(out, Token{"num", s[i:j]})
			i = j
		case strings.ContainsRune("+-*/()", rune(c)):
			out = append(out, Token{"op", string(c)})
			i++
		default:
			j := i
			for j < len(s) && s[j] != ' ' {
				j++
			}
			out = append(out, Token{"word", s[i:j]})
			i = j
		}
	}
	return out
}

func eval(toks []Token) int {
	pos := 0
	var expr, term, factor func() int
	factor = func() int {
		t := toks[pos]
		pos++
		if t.Text == "(" {
			v := expr()
			pos++
			return v
		}
		n := 0
		for _, ch := range t.Text {
			n = n*10 + int(ch-'0')
		}
		return n
	}
	term = func() int {
		v := factor()
		for pos < len(toks) && (toks[pos].Text == "*" || toks[pos].Text == "/") {
			op := toks[pos].Text
			pos++
			r := factor()
			if op == "*" {
				v *= r
			} else {
				v /= r
			}
		}
		return v
	}
	expr = func() int {
		v := term()
		for pos < len(toks) && (toks[pos].Text == "+" || toks[pos].Text == "-") {
			op := toks[pos].Text
			pos++
			r := term()
			if op == "+" {
				v += r
			} else {
				v -= r
			}
		}
		return v
	}
	return expr()
}

func main() {
	for n := 4; n <= 8; n++ {
		fmt.Printf("queens(%d) = %d\n", n, solve(n, 0, make([]bool, n), make([]bool, 2*n), make([]bool, 2*n)))
	}
	fmt.Println(build(12).Count())
	toks := lex("12 + 3 * (4 - 1) / 2 hello")
	fmt.Printf("%v\n", toks)
	fmt.Println(eval(toks[:len(toks)-1]))
	fmt.Printf("%+v %q %x %8.3e\n", toks[0], toks[1].Text, 3054, 12345.678)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d-%s", 5, "x")
	fmt.Println(sb.String())
}
