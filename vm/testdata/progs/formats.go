package main

import "fmt"

type P struct {
	A int
	B string
	C []float64
}

func main() {
	fmt.Printf("%d|%5d|%-5d|%05d|%x|%X|%o|%b\n", 42, 42, 42, 42, 255, 255, 8, 5)
	fmt.Printf("%f|%.2f|%8.3f|%e|%g\n", 3.14159, 3.14159, 3.14159, 123456.789, 0.000012)
	fmt.Printf("%s|%10s|%-10s|%q|%v|%t\n", "go", "go", "go", "go", "go", true)
	fmt.Printf("%v|%+v|%T\n", P{1, "x", []float64{1.5}}, P{1, "x", nil}, P{})
	fmt.Printf("%c|%U|%%|%v\n", 'A', 'A', nil)
	fmt.Printf("%v %v %v\n", []string{"a", "b"}, map[string]int{"z": 1, "a": 2}, [2]bool{true, false})
	fmt.Printf("%x %s\n", "hi", []byte("bytes"))
	fmt.Printf("%d %s\n", 1)
	fmt.Printf("%d\n", 1, 2)
	fmt.Printf("%6.2f%%\n", 99.5)
	fmt.Println(1.0, 2.5, 1e21, float32(0.1), -0.0, 100000000.0)
	fmt.Println(int8(-5), uint16(65535), 'x', true, nil)
	fmt.Print("a", "b", 1, 2, "c\n")
	s := fmt.Sprint(1, 2, "x", 3)
	fmt.Println(s, len(s))
	fmt.Println(fmt.Sprintln("a", 1) == "a 1\n")
	var ip *P
	fmt.Println(ip == nil, &P{A: 3})
	fmt.Printf("%*d|%-*d|\n", 4, 7, 3, 8)
	fmt.Printf("%08.3f|%+d|% d\n", 3.14159, 5, 5)
}
