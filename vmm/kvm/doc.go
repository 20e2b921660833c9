// Package kvm is a thin layer over the Linux KVM ioctl interface (/dev/kvm): one commented
// function per ioctl, and Go structs that mirror the kernel's C layout (include/uapi/linux/kvm.h
// and arch/x86/include/uapi/asm/kvm.h) field for field. structs_test.go checks every size and
// offset against the kernel's values, so a layout mistake fails a test instead of corrupting a
// guest.
//
// There are three kinds of file descriptor, as in the kernel API:
//
//	System (/dev/kvm)  -> CreateVM        -> VM
//	VM                 -> CreateVCPU      -> VCPU (with its mmapped Run structure)
//
// Nothing here keeps policy: the machine in package vmm decides memory layout, CPUID and the
// order of calls.
package kvm
