//go:build !amd64

// Package int80 issues i386 system calls; only on amd64.
package int80

// Syscall is only implemented on amd64.
func Syscall(nr, a1, a2, a3 uint32) int32 { return -38 }
