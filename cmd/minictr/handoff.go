//go:build !lean

package main

// The full build hands the OCI runtime's commands to minictr-runtime, its lean build, before
// the Go runtime starts (internal/handoff).
import _ "github.com/minictr/minictr/cmd/minictr/internal/handoff"
