// Package workloads holds the workloads of `minictr compare` twice: as a program of the process
// VM's Go subset (prog.go, embedded as Source) and as native Go (Run, behind the hidden
// `minictr workload` verb that the host, container and microVM kinds execute). Both run the
// same loops and print the same two lines:
//
//	workload cpu n=1000 started
//	ops=1000 seconds=0.000123 check=1a2b3c4d5e6f7081
//
// The first line is printed before any work (the start latency is measured to it); the second
// carries the op count, the seconds the loop took measured inside the workload, and a checksum
// that is the same on every kind for the same workload and count.
package workloads

import _ "embed"

// Source is prog.go: the workloads for `minictr vm run`.
//
//go:embed prog.go
var Source []byte

// Names of the workloads.
const (
	CPU     = "cpu"     // xorshift64 steps summed: integer arithmetic only
	Syscall = "syscall" // write a 40-byte file and read it back: one op = 2 opens, 2 closes, a write, a read, a stat
	Start   = "start"   // nothing: the two lines and exit
)

// DefaultDir is where the syscall workload writes its file when no directory is given.
const DefaultDir = "/tmp"

// FileName is the file the syscall workload writes in its directory.
const FileName = "minictr-compare.dat"
