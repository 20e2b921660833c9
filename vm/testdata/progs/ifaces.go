package main

import (
	"errors"
	"fmt"
	"math"
)

type Shape interface {
	Area() float64
	Name() string
}

type Circle struct{ R float64 }
type Square struct{ S float64 }

func (c Circle) Area() float64  { return math.Pi * c.R * c.R }
func (c Circle) Name() string   { return "circle" }
func (s *Square) Area() float64 { return s.S * s.S }
func (s *Square) Name() string  { return "square" }

type Temp float64

func (t Temp) String() string { return fmt.Sprintf("%.1f°C", float64(t)) }

type MyErr struct{ Code int }

func (e *MyErr) Error() string { return fmt.Sprintf("code %d", e.Code) }

func find(ok bool) error {
	if ok {
		return nil
	}
	return &MyErr{42}
}

func describe(v any) string {
	switch x := v.(type) {
	case int:
		return fmt.Sprintf("int %d", x)
	case string:
		return "string " + x
	case Shape:
		return "shape " + x.Name()
	case nil:
		return "nil"
	case []int:
		return fmt.Sprint("slice ", len(x))
	default:
		return fmt.Sprintf("other %v", x)
	}
}

func main() {
	shapes := []Shape{Circle{1}, &Square{2}}
	total := 0.0
	for _, s := range shapes {
		total += s.Area()
		fmt.Printf("%s %.3f\n", s.Name(), s.Area())
	}
	fmt.Printf("%.3f\n", total)
	var t Temp = 21.5
	fmt.Println(t)
	fmt.Printf("%v %s\n", t, t)
	err := find(false)
	fmt.Println(err)
	if e, ok := err.(*MyErr); ok {
		fmt.Println("code", e.Code)
	}
	fmt.Println(find(true) == nil, err != nil)
	fmt.Println(describe(1), describe("s"), describe(Circle{2}), describe(nil), describe([]int{1}), describe(2.5))
	var i any = 5
	n, ok := i.(string)
	fmt.Printf("%q %v\n", n, ok)
	e2 := errors.New("plain")
	fmt.Println(e2, e2.Error())
	e3 := fmt.Errorf("wrapped %d", 7)
	fmt.Println(e3)
	var s Shape
	fmt.Println(s == nil)
	s = Circle{3}
	c := s.(Circle)
	fmt.Println(c.R)
	var st fmt.Stringer = t
	fmt.Println(st.String())
	fmt.Println(any(3) == any(3), any("a") == any("b"))
}
