package cgroups

import (
	"encoding/binary"
	"os"
	"os/exec"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runDeviceProgram interprets the few opcodes deviceProgram emits, over the context the kernel
// passes (struct bpf_cgroup_dev_ctx), and returns r0. Bounded: programs have no back jumps.
func runDeviceProgram(t *testing.T, prog []insn, typ, access, major, minor uint32) uint64 {
	t.Helper()
	ctx := make([]byte, 12)
	binary.LittleEndian.PutUint32(ctx[0:], access<<16|typ)
	binary.LittleEndian.PutUint32(ctx[4:], major)
	binary.LittleEndian.PutUint32(ctx[8:], minor)
	var r [11]uint64
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		dst, src := in.regs&0xf, in.regs>>4
		switch in.code {
		case opLdxW:
			if src != 1 {
				t.Fatalf("pc %d: load from r%d, not the context", pc, src)
			}
			r[dst] = uint64(binary.LittleEndian.Uint32(ctx[in.off:]))
		case opAnd32K:
			r[dst] = uint64(uint32(r[dst]) & uint32(in.imm))
		case opRsh32K:
			r[dst] = uint64(uint32(r[dst]) >> uint32(in.imm))
		case opMov32X:
			r[dst] = uint64(uint32(r[src]))
		case opMov64K:
			r[dst] = uint64(int64(in.imm))
		case opJneK:
			if r[dst] != uint64(int64(in.imm)) {
				pc += int(in.off)
			}
		case opJeqK:
			if r[dst] == uint64(int64(in.imm)) {
				pc += int(in.off)
			}
		case opExit:
			return r[0]
		default:
			t.Fatalf("pc %d: opcode %#x not interpreted", pc, in.code)
		}
	}
	t.Fatal("program ran off its end")
	return 0
}

// TestDeviceProgram: the compiled filter gives v1's verdicts (later rules override earlier).
func TestDeviceProgram(t *testing.T) {
	defaultRules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"}, // /dev/null
		{Allow: true, Type: "c", Major: i64(136), Access: "rw"},               // pts, any minor
		{Allow: false, Type: "c", Major: i64(1), Minor: i64(3), Access: "w"},  // then no writes to null
	}
	cases := []struct {
		name                      string
		rules                     []specs.LinuxDeviceCgroup
		typ, access, major, minor uint32
		allow                     uint64
	}{
		{"no rules allow all", nil, devTypeChar, accRead, 1, 5, 1},
		{"deny all denies", defaultRules, devTypeChar, accRead, 1, 5, 0},
		{"block denied", defaultRules, devTypeBlock, accRead, 8, 0, 0},
		{"null read allowed", defaultRules, devTypeChar, accRead, 1, 3, 1},
		{"null mknod allowed", defaultRules, devTypeChar, accMknod, 1, 3, 1},
		{"null write denied by the later rule", defaultRules, devTypeChar, accWrite, 1, 3, 0},
		{"null read+write denied by the later rule", defaultRules, devTypeChar, accRead | accWrite, 1, 3, 0},
		{"pts any minor rw", defaultRules, devTypeChar, accRead | accWrite, 136, 42, 1},
		{"pts mknod not allowed", defaultRules, devTypeChar, accMknod, 136, 42, 0},
		{"pts as block denied", defaultRules, devTypeBlock, accRead, 136, 1, 0},
		{"allow after deny", []specs.LinuxDeviceCgroup{{Allow: false, Type: "b", Access: "rwm"}, {Allow: true, Type: "a"}}, devTypeBlock, accWrite, 8, 0, 1},
		{"deny only one", []specs.LinuxDeviceCgroup{{Allow: false, Type: "c", Major: i64(1), Minor: i64(5)}}, devTypeChar, accRead, 1, 5, 0},
		{"deny only one, others open", []specs.LinuxDeviceCgroup{{Allow: false, Type: "c", Major: i64(1), Minor: i64(5)}}, devTypeChar, accRead, 1, 3, 1},
	}
	for _, c := range cases {
		prog, err := deviceProgram(c.rules)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := runDeviceProgram(t, prog, c.typ, c.access, c.major, c.minor); got != c.allow {
			t.Errorf("%s: verdict %d, want %d", c.name, got, c.allow)
		}
	}
	if _, err := deviceProgram([]specs.LinuxDeviceCgroup{{Type: "q"}}); err == nil {
		t.Error("bad device type compiled")
	}
}

// TestDevicesV2Real attaches the program to a real cgroup2 directory (the host's v2 root, or the
// hybrid /sys/fs/cgroup/unified) and checks a process inside can read /dev/null but not
// /dev/zero.
func TestDevicesV2Real(t *testing.T) {
	root := requireReal(t, V2)
	if _, err := exec.LookPath("head"); err != nil {
		t.Skip("no head binary")
	}
	m := newReal(t, V2, root)
	// probe runs a shell in the cgroup that tries /dev/null and /dev/zero.
	probe := func() string {
		t.Helper()
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pw.Close()
		cmd := exec.Command("sh", "-c", `read x; head -c1 /dev/null; echo null=$?; head -c1 /dev/zero >/dev/null 2>&1; echo zero=$?`)
		cmd.Stdin = pr
		var out strings.Builder
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pr.Close()
		if err := m.Apply(cmd.Process.Pid); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatal(err)
		}
		pw.Write([]byte("go\n"))
		pw.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
	}
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	if got := probe(); got != "null=0\nzero=1\n" {
		t.Fatalf("inside the device filter: %q, want null readable, zero denied", got)
	}
	// An update replaces the program: now /dev/zero is allowed too.
	rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "r"})
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	if got := probe(); got != "null=0\nzero=0\n" {
		t.Fatalf("after the update: %q, want both readable", got)
	}
}
