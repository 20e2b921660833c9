//go:build amd64

// Package int80 issues i386 system calls (int $0x80) from an x86_64 process,
// so that tests can check how a seccomp filter treats AUDIT_ARCH_I386 calls.
package int80

// Syscall makes the i386 system call nr with three arguments and returns
// the raw result (a negative errno on failure). It needs a kernel with IA32
// emulation; without it the process gets SIGSEGV.
//
//go:noescape
func Syscall(nr, a1, a2, a3 uint32) int32
