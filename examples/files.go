//go:build ignore

// files: host files are reachable only under directories granted with --dir host:guest.
//
//	mkdir -p /tmp/vmdata && echo hello > /tmp/vmdata/in.txt
//	minictr vm run examples/files.go --dir /tmp/vmdata:/data
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	b, err := os.ReadFile("/data/in.txt")
	if err != nil {
		fmt.Println("read:", err)
		os.Exit(1)
	}
	out := strings.ToUpper(string(b))
	if err := os.WriteFile("/data/out.txt", []byte(out), 0o644); err != nil {
		fmt.Println("write:", err)
		os.Exit(1)
	}
	_, err = os.ReadFile("/etc/passwd")
	fmt.Println("outside the grant:", err)
	fmt.Print("wrote /data/out.txt: ", out)
}
