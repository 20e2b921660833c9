//go:build !linux

package interp

import "unsafe"

// prefault is a no-op where the kernel has no populate advice: pages fault in on first use.
func prefault(p unsafe.Pointer, n uintptr) {}
