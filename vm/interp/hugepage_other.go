//go:build !linux

package interp

import "unsafe"

func hugePages(p unsafe.Pointer, n uintptr) {}
