package seccomp

import (
	"encoding/binary"
	"math/rand"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func uptr(v uint) *uint { return &v }

func mustCompile(t testing.TB, s *specs.LinuxSeccomp) []unix.SockFilter {
	t.Helper()
	prog, _, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return prog
}

func eval(t testing.TB, prog []unix.SockFilter, in input) uint32 {
	t.Helper()
	r, err := runBPF(prog, in)
	if err != nil {
		t.Fatalf("run filter on %+v: %v", in, err)
	}
	return r
}

func x64(name string, args ...uint64) input {
	in := input{nr: sysX86_64()[name], arch: unix.AUDIT_ARCH_X86_64}
	copy(in.args[:], args)
	return in
}

// edge values around v, in both halves.
func edges(v uint64) []uint64 {
	out := []uint64{0, 1, ^uint64(0), 1 << 63, 0xffffffff, 0x100000000, v, v + 1, v - 1,
		v ^ 1<<32, v ^ 1, v + 1<<32, v - 1<<32, v &^ 0xffffffff, v & 0xffffffff, v | 0xffffffff}
	return out
}

func TestOperators(t *testing.T) {
	ops := []struct {
		op specs.LinuxSeccompOperator
		f  func(a, v, v2 uint64) bool
	}{
		{specs.OpEqualTo, func(a, v, _ uint64) bool { return a == v }},
		{specs.OpNotEqual, func(a, v, _ uint64) bool { return a != v }},
		{specs.OpLessThan, func(a, v, _ uint64) bool { return a < v }},
		{specs.OpLessEqual, func(a, v, _ uint64) bool { return a <= v }},
		{specs.OpGreaterThan, func(a, v, _ uint64) bool { return a > v }},
		{specs.OpGreaterEqual, func(a, v, _ uint64) bool { return a >= v }},
		{specs.OpMaskedEqual, func(a, v, v2 uint64) bool { return a&v == v2 }},
	}
	values := []uint64{0, 1, 8, 0x7fffffff, 0xffffffff, 0x100000000, 0x1_00000008, 0xdeadbeef_cafef00d, ^uint64(0)}
	rnd := rand.New(rand.NewSource(1))
	checked := 0
	for _, o := range ops {
		for _, v := range values {
			v2 := v & 0x0000ffff_0000ff00 // a datum inside the mask
			for argIdx := uint(0); argIdx < 6; argIdx += 5 {
				s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
					Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uptr(38),
					Args: []specs.LinuxSeccompArg{{Index: argIdx, Value: v, ValueTwo: v2, Op: o.op}},
				}}}
				prog := mustCompile(t, s)
				cands := edges(v)
				for i := 0; i < 20; i++ {
					cands = append(cands, rnd.Uint64(), v^uint64(rnd.Uint32()), v^uint64(rnd.Uint32())<<32)
				}
				for _, a := range cands {
					in := x64("getcwd")
					in.args[argIdx] = a
					want := uint32(unix.SECCOMP_RET_ALLOW)
					if o.f(a, v, v2) {
						want = unix.SECCOMP_RET_ERRNO | 38
					}
					if got := eval(t, prog, in); got != want {
						t.Errorf("%s arg%d value %#x: arg %#x -> %#x, want %#x", o.op, argIdx, v, a, got, want)
					}
					// another syscall is never affected
					if got := eval(t, prog, x64("getpid", a, a, a, a, a, a)); got != unix.SECCOMP_RET_ALLOW {
						t.Errorf("%s: getpid -> %#x", o.op, got)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d argument checks", checked)
}

// On 32-bit architectures only the low half of an argument is compared.
func TestOperators32(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpGreaterThan}}}}}
	prog := mustCompile(t, s)
	nr := sysX86()["personality"]
	for _, c := range []struct {
		arg  uint64
		deny bool
	}{{0, false}, {8, false}, {9, true}, {0x1_00000000, false}, {0xffffffff, true}} {
		got := eval(t, prog, input{nr: nr, arch: unix.AUDIT_ARCH_I386, args: [6]uint64{c.arg}})
		if (got == unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM)) != c.deny {
			t.Errorf("i386 personality(%#x) -> %#x, deny=%v", c.arg, got, c.deny)
		}
	}
}

func TestMultipleArgsAndRules(t *testing.T) {
	// rule 1: arg0 == 1 AND arg1 == 2 -> ERRNO 10; rule 2: arg2 > 5 -> ERRNO 11
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: uptr(10), Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 1, Value: 2, Op: specs.OpEqualTo}}},
		{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: uptr(11), Args: []specs.LinuxSeccompArg{
			{Index: 2, Value: 5, Op: specs.OpGreaterThan}}},
	}}
	prog := mustCompile(t, s)
	for _, c := range []struct {
		args [3]uint64
		want uint32
	}{
		{[3]uint64{1, 2, 0}, unix.SECCOMP_RET_ERRNO | 10},
		{[3]uint64{1, 3, 0}, unix.SECCOMP_RET_ALLOW},
		{[3]uint64{0, 2, 0}, unix.SECCOMP_RET_ALLOW},
		{[3]uint64{0, 0, 6}, unix.SECCOMP_RET_ERRNO | 11},
		{[3]uint64{1, 2, 6}, unix.SECCOMP_RET_ERRNO | 10}, // first matching rule decides
		{[3]uint64{1, 0, 5}, unix.SECCOMP_RET_ALLOW},
	} {
		if got := eval(t, prog, x64("mkdirat", c.args[0], c.args[1], c.args[2])); got != c.want {
			t.Errorf("mkdirat%v -> %#x, want %#x", c.args, got, c.want)
		}
	}
}

func TestActions(t *testing.T) {
	for _, c := range []struct {
		act   specs.LinuxSeccompAction
		errno *uint
		want  uint32
	}{
		{specs.ActKill, nil, unix.SECCOMP_RET_KILL_THREAD},
		{specs.ActKillThread, nil, unix.SECCOMP_RET_KILL_THREAD},
		{specs.ActKillProcess, nil, unix.SECCOMP_RET_KILL_PROCESS},
		{specs.ActTrap, nil, unix.SECCOMP_RET_TRAP},
		{specs.ActErrno, nil, unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{specs.ActErrno, uptr(38), unix.SECCOMP_RET_ERRNO | 38},
		{specs.ActTrace, nil, unix.SECCOMP_RET_TRACE | uint32(unix.EPERM)},
		{specs.ActTrace, uptr(7), unix.SECCOMP_RET_TRACE | 7},
		{specs.ActLog, nil, unix.SECCOMP_RET_LOG},
		{specs.ActNotify, nil, unix.SECCOMP_RET_USER_NOTIF},
		{specs.ActAllow, nil, unix.SECCOMP_RET_ALLOW},
	} {
		// as a rule action, under a default that differs
		def := specs.ActAllow
		if c.act == specs.ActAllow {
			def = specs.ActKillProcess
		}
		s := &specs.LinuxSeccomp{DefaultAction: def, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir"}, Action: c.act, ErrnoRet: c.errno}}}
		prog := mustCompile(t, s)
		if got := eval(t, prog, x64("mkdir")); got != c.want {
			t.Errorf("rule %s errno %v -> %#x, want %#x", c.act, c.errno, got, c.want)
		}
		// as the default action
		if c.act == specs.ActNotify {
			if _, _, err := Compile(&specs.LinuxSeccomp{DefaultAction: c.act}); err == nil {
				t.Errorf("NOTIFY as default action accepted")
			}
			continue
		}
		prog = mustCompile(t, &specs.LinuxSeccomp{DefaultAction: c.act, DefaultErrnoRet: c.errno})
		if got := eval(t, prog, x64("mkdir")); got != c.want {
			t.Errorf("default %s -> %#x, want %#x", c.act, got, c.want)
		}
	}
}

func TestArchitectures(t *testing.T) {
	only64 := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64}})
	all := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uptr(5)}}})
	kill := uint32(unix.SECCOMP_RET_KILL_THREAD)
	x32getpid := input{nr: sysX86_64()["getpid"] | x32SyscallBit, arch: unix.AUDIT_ARCH_X86_64}
	i386getpid := input{nr: sysX86()["getpid"], arch: unix.AUDIT_ARCH_I386}
	for _, c := range []struct {
		name string
		prog []unix.SockFilter
		in   input
		want uint32
	}{
		{"x86_64 allowed", only64, x64("getpid"), unix.SECCOMP_RET_ALLOW},
		{"x32 not listed", only64, x32getpid, kill},
		{"i386 not listed", only64, i386getpid, kill},
		{"aarch64", only64, input{nr: 172, arch: unix.AUDIT_ARCH_AARCH64}, kill},
		{"x86_64 rule", all, x64("getpid"), unix.SECCOMP_RET_ERRNO | 5},
		{"x32 rule", all, x32getpid, unix.SECCOMP_RET_ERRNO | 5},
		{"x32 other", all, input{nr: sysX86_64()["getppid"] | x32SyscallBit, arch: unix.AUDIT_ARCH_X86_64}, unix.SECCOMP_RET_ALLOW},
		{"x32 own number", all, input{nr: 520 | x32SyscallBit, arch: unix.AUDIT_ARCH_X86_64}, unix.SECCOMP_RET_ALLOW},
		{"i386 rule", all, i386getpid, unix.SECCOMP_RET_ERRNO | 5},
		// i386 getpid is 20, which is x86_64 writev: the arch check keeps them apart
		{"i386 number on x86_64", all, x64("writev"), unix.SECCOMP_RET_ALLOW},
		{"aarch64 with all x86", all, input{nr: 172, arch: unix.AUDIT_ARCH_AARCH64}, kill},
	} {
		if got := eval(t, c.prog, c.in); got != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, got, c.want)
		}
	}
	if nr, _ := SyscallNumber(specs.ArchX32, "execve"); nr != 520|x32SyscallBit {
		t.Errorf("x32 execve = %#x", nr)
	}
	_, warns, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchAARCH64}})
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "SCMP_ARCH_AARCH64") {
		t.Errorf("foreign arch: warnings %q err %v", warns, err)
	}
}

func TestUnknownSyscallWarns(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"no_such_syscall", "mkdir"}, Action: specs.ActErrno}}}
	prog, warns, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], `"no_such_syscall"`) || !strings.Contains(warns[0], "syscalls[0]") {
		t.Fatalf("warnings = %q", warns)
	}
	if got := eval(t, prog, x64("mkdir")); got != unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM) {
		t.Errorf("mkdir -> %#x", got)
	}
	// an x86-only name is not a warning when x86 is listed
	s = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"socketcall"}, Action: specs.ActErrno}}}
	if _, warns, _ = Compile(s); len(warns) != 0 {
		t.Errorf("socketcall with x86: warnings %q", warns)
	}
}

func TestRuleResolution(t *testing.T) {
	// an unconditional rule overrides conditional ones; default-action rules are no-ops
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"kill"}, Action: specs.ActErrno, ErrnoRet: uptr(3), Args: []specs.LinuxSeccompArg{{Index: 1, Value: 9, Op: specs.OpEqualTo}}},
		{Names: []string{"kill"}, Action: specs.ActAllow},
		{Names: []string{"tkill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 1, Value: 9, Op: specs.OpEqualTo}}},
		{Names: []string{"tkill"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 1, Value: 9, Op: specs.OpLessEqual}}},
	}}
	prog := mustCompile(t, s)
	eperm := unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	for _, c := range []struct {
		in   input
		want uint32
	}{
		{x64("kill", 1, 9), unix.SECCOMP_RET_ALLOW},
		{x64("kill", 1, 2), unix.SECCOMP_RET_ALLOW},
		{x64("tkill", 1, 9), unix.SECCOMP_RET_ALLOW}, // the EPERM rule equals the default: dropped
		{x64("tkill", 1, 10), eperm},
	} {
		if got := eval(t, prog, c.in); got != c.want || got != oracle(s, c.in) {
			t.Errorf("%+v -> %#x, want %#x (oracle %#x)", c.in.args[:2], got, c.want, oracle(s, c.in))
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		s    *specs.LinuxSeccomp
		want string
	}{
		{nil, "no linux.seccomp"},
		{&specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}, `defaultAction: unknown action "SCMP_ACT_BOGUS"`},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, DefaultErrnoRet: uptr(1)}, "errnoRet 1 is only valid"},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_NOPE"}}, `flags[0]: unknown flag`},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_VAX"}}, `architectures[0]: unknown architecture "SCMP_ARCH_VAX"`},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: "X"}}}, `syscalls[0] (read): action: unknown action "X"`},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, "argument index 6 out of range"},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_XX"}}}}}, `unknown operator "SCMP_CMP_XX"`},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: uptr(70000)}}}, "does not fit in 16 bits"},
		{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Action: specs.ActErrno}}}, "no syscall names"},
	} {
		_, _, err := Compile(c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile: err %v, want it to contain %q", err, c.want)
		}
	}
}

// Many conditional rules push targets beyond 255 instructions: the
// trampolines must keep every answer right.
func TestLongJumps(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(99)}
	names := []string{"read", "write", "openat", "close", "mmap", "ioctl", "mkdirat", "kill"}
	for i, n := range names {
		var args []specs.LinuxSeccompArg
		for a := uint(0); a < 6; a++ {
			args = append(args, specs.LinuxSeccompArg{Index: a, Value: uint64(i)<<32 | uint64(a), Op: specs.OpLessEqual})
		}
		for r := 0; r < 6; r++ {
			s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{n}, Action: specs.ActErrno,
				ErrnoRet: uptr(uint(100 + i*10 + r)), Args: args[r:]})
		}
	}
	// and many unconditional ones
	for n := range sysX86_64() {
		if !strings.HasPrefix(n, "s") {
			continue
		}
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{n}, Action: specs.ActAllow})
	}
	prog := mustCompile(t, s)
	long := 0
	for _, in := range prog {
		if in.Code == opJa {
			long++
		}
	}
	if len(prog) < 600 || long == 0 {
		t.Fatalf("test does not exercise long jumps: %d instructions, %d ja", len(prog), long)
	}
	rnd := rand.New(rand.NewSource(2))
	for i := 0; i < 5000; i++ {
		in := randomInput(rnd)
		if got, want := eval(t, prog, in), oracle(s, in); got != want {
			t.Fatalf("%+v -> %#x, want %#x", in, got, want)
		}
	}
}

var tableNames = func() []string {
	var n []string
	for k := range sysX86_64() {
		n = append(n, k)
	}
	for k := range sysX86() {
		if _, ok := sysX86_64()[k]; !ok {
			n = append(n, k)
		}
	}
	return n
}()

func randomInput(r *rand.Rand) input {
	var in input
	switch r.Intn(8) {
	case 0:
		in.arch = unix.AUDIT_ARCH_I386
		in.nr = uint32(r.Intn(480))
	case 1:
		in.arch = unix.AUDIT_ARCH_X86_64
		in.nr = uint32(r.Intn(560)) | x32SyscallBit
	case 2:
		in.arch = r.Uint32()
		in.nr = r.Uint32()
	default:
		in.arch = unix.AUDIT_ARCH_X86_64
		in.nr = uint32(r.Intn(480))
	}
	for i := range in.args {
		switch r.Intn(4) {
		case 0:
			in.args[i] = uint64(r.Intn(12))
		case 1:
			in.args[i] = uint64(r.Intn(12)) << 32
		case 2:
			in.args[i] = uint64(r.Intn(12))<<32 | uint64(r.Intn(12))
		default:
			in.args[i] = r.Uint64()
		}
	}
	return in
}

// profileFromBytes builds a random but well-formed-ish profile.
func profileFromBytes(data []byte) *specs.LinuxSeccomp {
	pos := 0
	next := func() byte {
		if pos >= len(data) {
			return 0
		}
		pos++
		return data[pos-1]
	}
	u64 := func() uint64 {
		switch next() % 4 {
		case 0:
			return uint64(next() % 12)
		case 1:
			return uint64(next()%12) << 32
		case 2:
			return uint64(next()%12)<<32 | uint64(next()%12)
		}
		var b [8]byte
		for i := range b {
			b[i] = next()
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	acts := []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap,
		specs.ActErrno, specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify, "BAD"}
	ops := []specs.LinuxSeccompOperator{specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual}
	arches := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64}
	s := &specs.LinuxSeccomp{DefaultAction: acts[int(next())%(len(acts)-2)]}
	if s.DefaultAction == specs.ActErrno && next()%2 == 0 {
		s.DefaultErrnoRet = uptr(uint(next()))
	}
	for n := next() % 4; n > 0; n-- {
		s.Architectures = append(s.Architectures, arches[int(next())%len(arches)])
	}
	for n := int(next()) % 64; n > 0 && pos < len(data); n-- {
		sc := specs.LinuxSyscall{Action: acts[int(next())%(len(acts)-1)]}
		if next() == 255 {
			sc.Action = "BAD"
		}
		if (sc.Action == specs.ActErrno || sc.Action == specs.ActTrace) && next()%2 == 0 {
			sc.ErrnoRet = uptr(uint(next()))
		}
		for k := next()%3 + 1; k > 0; k-- {
			if next() == 255 {
				sc.Names = append(sc.Names, "bogus_name")
				continue
			}
			sc.Names = append(sc.Names, tableNames[(int(next())<<8|int(next()))%len(tableNames)])
		}
		if next() == 255 {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{Index: 6, Op: specs.OpEqualTo})
		}
		for k := next() % 4; k > 0; k-- {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{Index: uint(next() % 6), Op: ops[int(next())%len(ops)],
				Value: u64(), ValueTwo: u64()})
		}
		s.Syscalls = append(s.Syscalls, sc)
	}
	return s
}

// checkRandomProfile compiles a random profile and compares the program
// with the oracle on random inputs; it reports whether the profile compiled.
func checkRandomProfile(t *testing.T, data []byte) bool {
	s := profileFromBytes(data)
	prog, _, err := Compile(s)
	if err != nil {
		return false
	}
	if len(prog) > maxInsns {
		t.Fatalf("program of %d instructions", len(prog))
	}
	r := rand.New(rand.NewSource(int64(len(data))))
	for i := 0; i < 200; i++ {
		in := randomInput(r)
		// bias towards the syscalls named in the profile
		if len(s.Syscalls) > 0 && i%2 == 0 {
			sc := s.Syscalls[r.Intn(len(s.Syscalls))]
			name := sc.Names[r.Intn(len(sc.Names))]
			if nr, ok := sysX86_64()[name]; ok && in.arch == unix.AUDIT_ARCH_X86_64 {
				in.nr = nr
			}
			for _, a := range sc.Args {
				if a.Index < 6 && r.Intn(2) == 0 {
					in.args[a.Index] = a.Value + uint64(r.Intn(3)) - 1
				}
			}
		}
		got, err := runBPF(prog, in)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if want := oracle(s, in); got != want {
			t.Fatalf("profile %+v input %+v: %#x, want %#x", s, in, got, want)
		}
	}
	return true
}

func TestRandomProfiles(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	ok := 0
	for i := 0; i < 300; i++ {
		data := make([]byte, r.Intn(2000))
		r.Read(data)
		if checkRandomProfile(t, data) {
			ok++
		}
	}
	t.Logf("%d of 300 random profiles compiled", ok)
	if ok < 150 {
		t.Fatalf("only %d of 300 random profiles compiled: the generator tests nothing", ok)
	}
}

func FuzzCompile(f *testing.F) {
	f.Add([]byte{4, 1, 2, 10, 4, 1, 0, 1, 2, 3, 0, 5, 6, 7})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) { checkRandomProfile(t, data) })
}

// A huge profile must give a clear error, not a program the kernel rejects.
func TestTooLarge(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	for i := 0; i < 600; i++ {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: uint64(i), Op: specs.OpLessThan}, {Index: 1, Value: 3, Op: specs.OpNotEqual}}})
	}
	_, _, err := Compile(s)
	if err == nil || !strings.Contains(err.Error(), "the kernel allows 4096") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultProfile(t *testing.T) {
	s := DefaultProfile()
	prog, warns, err := Compile(s)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Compile(DefaultProfile()): %v %q", err, warns)
	}
	t.Logf("default profile: %d instructions", len(prog))
	eperm := unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	for _, c := range []struct {
		in   input
		want uint32
	}{
		{x64("read"), allow},
		{x64("execve"), allow},
		{x64("mount"), eperm},
		{x64("unshare"), eperm},
		{x64("keyctl"), eperm},
		{x64("bpf"), eperm},
		{x64("clone3"), unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{x64("clone", uint64(unix.SIGCHLD)|unix.CLONE_VM|unix.CLONE_THREAD), allow},
		{x64("clone", uint64(unix.SIGCHLD)|unix.CLONE_NEWNS), eperm},
		{x64("clone", uint64(unix.SIGCHLD)|unix.CLONE_NEWUSER), eperm},
		{x64("personality", 0xffffffff), allow},
		{x64("personality", 8), allow},
		{x64("personality", 0x0400000), eperm}, // READ_IMPLIES_EXEC
		{x64("socket", unix.AF_INET), allow},
		{x64("socket", unix.AF_VSOCK), eperm},
		{input{nr: sysX86()["socketcall"], arch: unix.AUDIT_ARCH_I386}, allow},
		{input{nr: sysX86()["mount"], arch: unix.AUDIT_ARCH_I386}, eperm},
		{input{nr: 520 | x32SyscallBit, arch: unix.AUDIT_ARCH_X86_64}, allow},
		{input{nr: sysX86_64()["mount"] | x32SyscallBit, arch: unix.AUDIT_ARCH_X86_64}, eperm},
	} {
		if got := eval(t, prog, c.in); got != c.want {
			t.Errorf("nr %d arch %#x args %#x: %#x, want %#x", c.in.nr, c.in.arch, c.in.args[0], got, c.want)
		}
	}
}

func BenchmarkDefaultProfileEval(b *testing.B) {
	prog := mustCompile(b, DefaultProfile())
	in := x64("futex")
	for i := 0; i < b.N; i++ {
		runBPF(prog, in)
	}
}

func BenchmarkCompileDefault(b *testing.B) {
	s := DefaultProfile()
	for i := 0; i < b.N; i++ {
		Compile(s)
	}
}

// The binary search keeps every syscall's path short, whatever its number.
func TestDefaultProfilePathLength(t *testing.T) {
	prog := mustCompile(t, DefaultProfile())
	worst, total, n := 0, 0, 0
	for _, tab := range []struct {
		arch uint32
		bit  uint32
		t    map[string]uint32
	}{{unix.AUDIT_ARCH_X86_64, 0, sysX86_64()}, {unix.AUDIT_ARCH_I386, 0, sysX86()}, {unix.AUDIT_ARCH_X86_64, x32SyscallBit, sysX86_64()}} {
		for _, nr := range tab.t {
			_, steps, err := runBPFSteps(prog, input{nr: nr | tab.bit, arch: tab.arch})
			if err != nil {
				t.Fatal(err)
			}
			worst = max(worst, steps)
			total += steps
			n++
		}
	}
	t.Logf("default profile: %d instructions, %d syscalls checked, path length mean %.1f, worst %d", len(prog), n, float64(total)/float64(n), worst)
	if worst > 40 {
		t.Errorf("worst path %d instructions", worst)
	}
	// a syscall newer than the profile gets ENOSYS, so that libc falls back
	if got := eval(t, prog, input{nr: 600, arch: unix.AUDIT_ARCH_X86_64}); got != unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS) {
		t.Errorf("x86_64 nr 600 -> %#x, want ENOSYS", got)
	}
	// a hole below the highest known one gets the default action
	if got := eval(t, prog, x64("kexec_load")); got != unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM) {
		t.Errorf("kexec_load -> %#x, want EPERM", got)
	}
}

func TestFeatures(t *testing.T) {
	f := Features()
	if len(f.Actions) != 9 || len(f.Operators) != 7 || len(f.KnownFlags) != len(flagBits) {
		t.Fatalf("features = %+v", f)
	}
	for _, a := range f.Actions {
		if _, err := actionCode(specs.LinuxSeccompAction(a), nil); err != nil {
			t.Errorf("listed action %s: %v", a, err)
		}
	}
	for _, o := range f.Operators {
		if err := validateArg(specs.LinuxSeccompArg{Op: specs.LinuxSeccompOperator(o)}); err != nil {
			t.Errorf("listed operator %s: %v", o, err)
		}
	}
	// every kernel minictr runs on (>= 4.17) has TSYNC and LOG
	has := strings.Join(f.SupportedFlags, " ")
	if !strings.Contains(has, "SECCOMP_FILTER_FLAG_TSYNC") || !strings.Contains(has, "SECCOMP_FILTER_FLAG_LOG") {
		t.Errorf("supported flags %v", f.SupportedFlags)
	}
	t.Logf("supported flags: %v", f.SupportedFlags)
}
