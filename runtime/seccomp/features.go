package seccomp

import (
	"sort"

	"github.com/opencontainers/runtime-spec/specs-go/features"
	"golang.org/x/sys/unix"
)

// Features describes this implementation for `minictr features` (the
// runtime-spec features document). SupportedFlags asks the running kernel:
// seccomp(SET_MODE_FILTER, flag, NULL) fails with EFAULT for a flag it knows
// (the NULL program is read after the flags are checked, so nothing is
// installed) and EINVAL for one it does not.
func Features() *features.Seccomp {
	enabled := true
	f := &features.Seccomp{
		Enabled: &enabled,
		Actions: []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
			"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"},
		Operators: []string{"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
			"SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"},
		Archs: []string{"SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"},
	}
	for name, bit := range flagBits {
		f.KnownFlags = append(f.KnownFlags, string(name))
		probe := bit
		if bit == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
			probe |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER // only valid together
		}
		_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(probe), 0)
		if e == unix.EFAULT {
			f.SupportedFlags = append(f.SupportedFlags, string(name))
		}
	}
	sort.Strings(f.KnownFlags)
	sort.Strings(f.SupportedFlags)
	return f
}
