package kvm

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The ioctl request numbers are built as the kernel's _IO/_IOR/_IOW/_IOWR macros build them:
// direction in bits 30-31, argument size in bits 16-29, type (KVMIO = 0xAE) in bits 8-15 and
// the command number in bits 0-7. Sizes come from the Go mirror structs, so a wrong struct size
// also yields a wrong request number (and the tests compare both with the kernel's values).
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2

	kvmio = 0xAE
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | kvmio<<8 | nr }
func io(nr uintptr) uintptr             { return ioc(iocNone, nr, 0) }
func iow(nr, size uintptr) uintptr      { return ioc(iocWrite, nr, size) }
func ior(nr, size uintptr) uintptr      { return ioc(iocRead, nr, size) }
func iowr(nr, size uintptr) uintptr     { return ioc(iocWrite|iocRead, nr, size) }

// Request numbers, in the order they appear in the kernel header.
var (
	// System ioctls (on the /dev/kvm fd).
	reqGetAPIVersion     = io(0x00)
	reqCreateVM          = io(0x01)
	reqCheckExtension    = io(0x03)
	reqGetVCPUMmapSize   = io(0x04)
	reqGetSupportedCPUID = iowr(0x05, unsafe.Sizeof(cpuid2Header{}))

	// VM ioctls.
	reqCreateVCPU          = io(0x41)
	reqSetUserMemoryRegion = iow(0x46, unsafe.Sizeof(UserspaceMemoryRegion{}))
	reqSetTSSAddr          = io(0x47)
	reqSetIdentityMapAddr  = iow(0x48, unsafe.Sizeof(uint64(0)))
	reqCreateIRQChip       = io(0x60)
	reqIRQLine             = iow(0x61, unsafe.Sizeof(IRQLevel{}))
	reqCreatePIT2          = iow(0x77, unsafe.Sizeof(PITConfig{}))
	reqRun                 = io(0x80)
	reqGetRegs             = ior(0x81, unsafe.Sizeof(Regs{}))
	reqSetRegs             = iow(0x82, unsafe.Sizeof(Regs{}))
	reqGetSregs            = ior(0x83, unsafe.Sizeof(Sregs{}))
	reqSetSregs            = iow(0x84, unsafe.Sizeof(Sregs{}))
	reqSetMSRs             = iow(0x89, unsafe.Sizeof(msrsHeader{}))
	reqSetCPUID2           = iow(0x90, unsafe.Sizeof(cpuid2Header{}))
)

// ioctl issues one ioctl and returns its non-negative result. An ioctl interrupted by a signal
// (the Go runtime preempts goroutines with SIGURG; KVM_CREATE_VM, for one, can take long
// enough to be hit) is retried, a bounded number of times.
func ioctl(fd int, req, arg uintptr) (uintptr, error) {
	for i := 0; ; i++ {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
		if errno == unix.EINTR && i < 1000 {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return r, nil
	}
}

// ioctlOnce is ioctl without the retry, for KVM_RUN: there EINTR is how a signal (the
// timeout) takes the vCPU out of the guest, and the caller decides.
func ioctlOnce(fd int, req, arg uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}
