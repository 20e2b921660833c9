package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("args", len(os.Args) > 0)
	defer fmt.Println("not printed: os.Exit skips defers")
	os.Exit(3)
}
