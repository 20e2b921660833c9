package main

// The nsenter constructor must run before the Go runtime in `minictr init`.
import _ "github.com/minictr/minictr/runtime/nsenter"
