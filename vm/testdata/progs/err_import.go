package main

// expect error: not supported by the minictr VM

import (
	"fmt"
	"net/http"
)

func main() {
	fmt.Println(http.StatusOK)
}
