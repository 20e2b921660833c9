// Package handoff is a C constructor that hands the OCI runtime's commands over to
// minictr-runtime, the lean build of this same CLI, before the Go runtime starts.
//
// Why: a Go program's start-up grows with what it links. minictr links the image store and
// its registry client, the process VM's compiler and the VMM; their package initialization
// costs 1.7 ms of every invocation here, and create, start, state, kill, delete and the like
// (what podman and containerd call for each container, and run of a bundle) use none of it
// (delete of a container that run IMAGE made calls the full build back for the image's part).
// minictr-runtime is built from the same sources with the lean tag (the commands that need
// the other layers left out), so those commands behave the same; the exec costs about
// 0.5 ms, before any Go code of minictr runs (`minictr state` of an unknown id: 3.3 ms handed
// off, 6.0 ms without, 2.8 ms for minictr-runtime itself; hyperfine, 200 runs).
//
// The constructor hands over only what it recognizes for certain (handoff.c); anything else,
// or no minictr-runtime beside this binary, runs here as before. Only the full build links
// this package (cmd/minictr/handoff.go).
package handoff

import "C"
