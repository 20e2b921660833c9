package main

import "fmt"

type Point struct{ X, Y int }

func (p Point) Add(q Point) Point { return Point{p.X + q.X, p.Y + q.Y} }
func (p *Point) Scale(k int)      { p.X *= k; p.Y *= k }
func (p Point) String() string    { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }

type Named struct {
	Point
	Name string
	Tags []string
}

type Node struct {
	Val  int
	Next *Node
}

type Rect struct{ Min, Max Point }

func main() {
	p := Point{1, 2}
	q := p
	q.X = 100
	fmt.Println(p, q)
	p.Scale(3)
	fmt.Println(p, p.Add(Point{1, 1}))
	pp := &p
	pp.Y = 7
	fmt.Println(p.Y, *pp)
	n := Named{Point{5, 6}, "five", nil}
	fmt.Println(n.X, n.Name, n.Point)
	n.Scale(2)
	fmt.Println(n.Point.X)
	var head *Node
	for i := 0; i < 4; i++ {
		head = &Node{i, head}
	}
	for c := head; c != nil; c = c.Next {
		fmt.Print(c.Val, " ")
	}
	fmt.Println()
	r := Rect{Point{0, 0}, Point{3, 4}}
	r2 := r
	r2.Max.X = 30
	fmt.Println(r.Max.X, r2.Max.X)
	pts := []Point{{1, 1}, {2, 2}}
	pts[0].X = 9
	e := pts[1]
	e.Y = 50
	fmt.Println(pts, e)
	ptr := &pts[0]
	ptr.Y = 42
	fmt.Println(pts[0])
	var zero Point
	fmt.Println(zero == Point{}, p == Point{3, 7})
	np := new(Point)
	np.X = 4
	fmt.Println(*np)
	arr := [3]Point{}
	arr[1].X = 5
	fmt.Println(arr)
	fmt.Printf("%v %+v\n", r, n.Point)
}
