package interp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// prefault maps a large, freshly made table's pages before the program touches them, in one
// madvise(MADV_POPULATE_WRITE) call (Linux 5.14). Without
// it a table filled by probing pays two faults per 4 KiB page (the read of an empty slot maps
// the shared zero page, the write that follows copies it) and a trap each time. Huge pages
// were tried first and dropped: where the kernel hands out a 2 MiB page the hypervisor has
// not backed yet, zeroing it costs more than the faults it saves, so runs came out bimodal.
// Older kernels reject the advice; the table then faults in as before.
func prefault(p unsafe.Pointer, n uintptr) {
	const page = 4 << 10
	start := (uintptr(p) + page - 1) &^ (page - 1)
	end := (uintptr(p) + n) &^ (page - 1)
	if end <= start {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start)
	_ = unix.Madvise(b, unix.MADV_POPULATE_WRITE)
}
