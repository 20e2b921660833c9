package main

import "fmt"

func main() {
	var a int8 = 127
	a++
	fmt.Println(a)
	var b uint8 = 250
	b += 10
	fmt.Println(b)
	var c int32 = 1 << 30
	c *= 4
	fmt.Println(c)
	var u uint = 0
	u--
	fmt.Println(u)
	x, y := -7, 2
	fmt.Println(x/y, x%y, x>>1, x<<3, x&3, x|8, x^5, x&^2)
	var big int64 = 1<<63 - 1
	big++
	fmt.Println(big)
	var s uint32 = 0xdeadbeef
	fmt.Println(s>>4, s<<4, ^s)
	f := 3.5
	g := 2.0
	fmt.Println(f*g, f/g, f-g, f+g, -f)
	var f32 float32 = 1.0 / 3.0
	fmt.Println(f32, float64(f32))
	fv, fw := 3.99, -3.99
	fmt.Println(int(fv), int(fw), float64(7)/2, uint8(300&0xff), int8(-129+256))
	var sh uint = 70
	fmt.Println(1<<sh, uint64(1)<<63, int64(-8)>>sh)
	n := 10
	fmt.Println(n*n%7, (n+3)/4, -n/3, n%-3)
	fmt.Println(0.1+0.2, 1e100, 1e-7, 100.0)
	const k = 1 << 40
	fmt.Println(k, k>>38)
	var r rune = 'A' + 2
	fmt.Println(r, string(r))
	fmt.Println(7.0 == 7, 3 < 4, "a" < "b", 2.5 > 2.4)
}
