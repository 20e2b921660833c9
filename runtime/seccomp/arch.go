package seccomp

import (
	"fmt"
	"runtime"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// x32SyscallBit is set in the syscall number of every x32 syscall. The kernel
// reports x32 syscalls with arch AUDIT_ARCH_X86_64, so this bit is the only
// thing that tells them apart from x86_64 ones.
const x32SyscallBit = 0x40000000

// archInfo describes one architecture a filter can match.
type archInfo struct {
	name  specs.Arch
	audit uint32                   // seccomp_data.arch value
	table func() map[string]uint32 // syscall name -> number as seen in seccomp_data.nr
	args  int                      // width of an argument in bits: 32 or 64
}

var (
	archX86_64 = &archInfo{name: specs.ArchX86_64, audit: unix.AUDIT_ARCH_X86_64, table: sysX86_64, args: 64}
	archX86    = &archInfo{name: specs.ArchX86, audit: unix.AUDIT_ARCH_I386, table: sysX86, args: 32}
	// x32 passes 64-bit registers, but its syscalls take 32-bit longs and
	// pointers; like libseccomp we compare the low 32 bits only.
	archX32 = &archInfo{name: specs.ArchX32, audit: unix.AUDIT_ARCH_X86_64, table: x32Table, args: 32}

	x32Once sync.Once
	x32     map[string]uint32
)

// x32Own lists the syscalls whose x32 entry point differs from the x86_64 one:
// the x32 ABI gives them numbers 512 and up (their x86_64 numbers are not
// valid x32 syscalls).
var x32Own = map[string]uint32{
	"rt_sigaction": 512, "rt_sigreturn": 513, "ioctl": 514, "readv": 515, "writev": 516,
	"recvfrom": 517, "sendmsg": 518, "recvmsg": 519, "execve": 520, "ptrace": 521,
	"rt_sigpending": 522, "rt_sigtimedwait": 523, "rt_sigqueueinfo": 524, "sigaltstack": 525,
	"timer_create": 526, "mq_notify": 527, "kexec_load": 528, "waitid": 529,
	"set_robust_list": 530, "get_robust_list": 531, "vmsplice": 532, "move_pages": 533,
	"preadv": 534, "pwritev": 535, "rt_tgsigqueueinfo": 536, "recvmmsg": 537, "sendmmsg": 538,
	"process_vm_readv": 539, "process_vm_writev": 540, "setsockopt": 541, "getsockopt": 542,
	"io_setup": 543, "io_submit": 544, "execveat": 545, "preadv2": 546, "pwritev2": 547,
}

// x32Table derives the x32 table: the x86_64 numbers with the x32 bit, except
// for the syscalls listed in x32Own.
func x32Table() map[string]uint32 {
	x32Once.Do(func() {
		t := make(map[string]uint32, len(sysX86_64()))
		for name, nr := range sysX86_64() {
			if _, own := x32Own[name]; own || nr >= 512 && nr < 548 {
				continue
			}
			t[name] = nr | x32SyscallBit
		}
		for name, nr := range x32Own {
			t[name] = nr | x32SyscallBit
		}
		x32 = t
	})
	return x32
}

// knownForeign are spec architectures minictr has no table for. On an x86
// host the kernel never reports them, so listing them changes nothing.
var knownForeign = map[specs.Arch]bool{
	specs.ArchARM: true, specs.ArchAARCH64: true, specs.ArchMIPS: true, specs.ArchMIPS64: true,
	specs.ArchMIPS64N32: true, specs.ArchMIPSEL: true, specs.ArchMIPSEL64: true,
	specs.ArchMIPSEL64N32: true, specs.ArchPPC: true, specs.ArchPPC64: true,
	specs.ArchPPC64LE: true, specs.ArchS390: true, specs.ArchS390X: true, specs.ArchPARISC: true,
	specs.ArchPARISC64: true, specs.ArchRISCV64: true, specs.ArchLOONGARCH64: true,
	specs.ArchM68K: true, specs.ArchSH: true, specs.ArchSHEB: true,
}

func lookupArch(a specs.Arch) (*archInfo, bool) {
	switch a {
	case specs.ArchX86_64:
		return archX86_64, true
	case specs.ArchX86:
		return archX86, true
	case specs.ArchX32:
		return archX32, true
	}
	return nil, false
}

// nativeArch is the architecture of the running binary, always part of a
// filter (libseccomp creates every filter with the native architecture).
func nativeArch() (*archInfo, error) {
	switch runtime.GOARCH {
	case "amd64":
		return archX86_64, nil
	case "386":
		return archX86, nil
	}
	return nil, fmt.Errorf("seccomp: native architecture %s is not supported (x86_64 and x86 only)", runtime.GOARCH)
}

// SyscallNumber returns the number of a syscall name on an architecture
// (SCMP_ARCH_X86_64, SCMP_ARCH_X86 or SCMP_ARCH_X32; x32 numbers include the
// x32 bit).
func SyscallNumber(arch specs.Arch, name string) (uint32, bool) {
	a, ok := lookupArch(arch)
	if !ok {
		return 0, false
	}
	nr, ok := a.table()[name]
	return nr, ok
}
