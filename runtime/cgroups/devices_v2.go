package cgroups

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroup v2 has no devices files: access is checked by a BPF_PROG_TYPE_CGROUP_DEVICE program
// attached to the cgroup. The program gets struct bpf_cgroup_dev_ctx { u32 access_type (access
// << 16 | type); u32 major; u32 minor; } in r1 and returns 1 (allow) or 0 (deny).
//
// The spec's rules are applied as the v1 devices files apply them: a later rule overrides an
// earlier one. So the program tests the rules last to first and returns the verdict of the
// first that matches; when none matches, access is allowed (a fresh v1 cgroup allows every
// device; the usual list starts with deny-all, which then matches everything).

const (
	devTypeBlock = 1 // BPF_DEVCG_DEV_BLOCK
	devTypeChar  = 2 // BPF_DEVCG_DEV_CHAR
	accMknod     = 1 // BPF_DEVCG_ACC_MKNOD
	accRead      = 2 // BPF_DEVCG_ACC_READ
	accWrite     = 4 // BPF_DEVCG_ACC_WRITE
	accAll       = accMknod | accRead | accWrite
)

// insn is one eBPF instruction (struct bpf_insn).
type insn struct {
	code uint8
	regs uint8 // dst in the low nibble, src in the high one
	off  int16
	imm  int32
}

// The few opcodes the filter needs.
const (
	opLdxW   = 0x61 // BPF_LDX|BPF_MEM|BPF_W: dst = *(u32 *)(src + off)
	opAnd32K = 0x54 // BPF_ALU|BPF_AND|BPF_K: dst &= imm
	opRsh32K = 0x74 // BPF_ALU|BPF_RSH|BPF_K: dst >>= imm
	opMov32X = 0xbc // BPF_ALU|BPF_MOV|BPF_X: dst = src
	opMov64K = 0xb7 // BPF_ALU64|BPF_MOV|BPF_K: dst = imm
	opJneK   = 0x55 // BPF_JMP|BPF_JNE|BPF_K: if dst != imm goto pc+off
	opJeqK   = 0x15 // BPF_JMP|BPF_JEQ|BPF_K: if dst == imm goto pc+off
	opExit   = 0x95 // BPF_JMP|BPF_EXIT: return r0
)

func ins(code, dst, src uint8, off int16, imm int32) insn {
	return insn{code: code, regs: dst | src<<4, off: off, imm: imm}
}

// deviceProgram compiles the rules. Registers: r2 type, r3 access, r4 major, r5 minor, r6 temp.
func deviceProgram(rules []specs.LinuxDeviceCgroup) ([]insn, error) {
	prog := []insn{
		ins(opLdxW, 2, 1, 0, 0),
		ins(opAnd32K, 2, 0, 0, 0xffff),
		ins(opLdxW, 3, 1, 0, 0),
		ins(opRsh32K, 3, 0, 0, 16),
		ins(opLdxW, 4, 1, 4, 0),
		ins(opLdxW, 5, 1, 8, 0),
	}
	for i := len(rules) - 1; i >= 0; i-- {
		block, err := ruleBlock(rules[i])
		if err != nil {
			return nil, fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
		prog = append(prog, block...)
		if len(block) == 2 {
			// A rule for every device and access always matches: what follows is unreachable
			// (earlier rules, the default), and the verifier refuses unreachable code.
			return prog, nil
		}
	}
	return append(prog, ins(opMov64K, 0, 0, 0, 1), ins(opExit, 0, 0, 0, 0)), nil
}

// ruleBlock: the tests of one rule, each jumping past the block when it fails, then the verdict.
func ruleBlock(d specs.LinuxDeviceCgroup) ([]insn, error) {
	if _, err := DeviceRule(d); err != nil { // the same validation as v1
		return nil, err
	}
	access := 0
	acc := d.Access
	if acc == "" {
		acc = "rwm"
	}
	for _, c := range acc {
		switch c {
		case 'r':
			access |= accRead
		case 'w':
			access |= accWrite
		case 'm':
			access |= accMknod
		}
	}
	var tests []insn // each with off = -1: patched to jump to the block's end
	switch d.Type {
	case "b":
		tests = append(tests, ins(opJneK, 2, 0, -1, devTypeBlock))
	case "c":
		tests = append(tests, ins(opJneK, 2, 0, -1, devTypeChar))
	}
	if d.Type == "b" || d.Type == "c" {
		if d.Major != nil && *d.Major >= 0 {
			tests = append(tests, ins(opJneK, 4, 0, -1, int32(*d.Major)))
		}
		if d.Minor != nil && *d.Minor >= 0 {
			tests = append(tests, ins(opJneK, 5, 0, -1, int32(*d.Minor)))
		}
	}
	if access != accAll {
		tests = append(tests, ins(opMov32X, 6, 3, 0, 0))
		if d.Allow {
			// Matches only when every requested access is allowed: (req & ^allowed) == 0.
			tests = append(tests, ins(opAnd32K, 6, 0, 0, int32(accAll&^access)), ins(opJneK, 6, 0, -1, 0))
		} else {
			// Matches when any requested access is denied: (req & denied) != 0.
			tests = append(tests, ins(opAnd32K, 6, 0, 0, int32(access)), ins(opJeqK, 6, 0, -1, 0))
		}
	}
	verdict := int32(0)
	if d.Allow {
		verdict = 1
	}
	block := append(tests, ins(opMov64K, 0, 0, 0, verdict), ins(opExit, 0, 0, 0, 0))
	for i := range block {
		if block[i].off == -1 {
			block[i].off = int16(len(block) - i - 1)
		}
	}
	return block, nil
}

// encodeProgram lays the instructions out as the kernel reads them.
func encodeProgram(prog []insn) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		b = append(b, in.code, in.regs)
		b = binary.LittleEndian.AppendUint16(b, uint16(in.off))
		b = binary.LittleEndian.AppendUint32(b, uint32(in.imm))
	}
	return b
}

// bpfProgLoadAttr is the BPF_PROG_LOAD part of union bpf_attr. The kernel's __aligned_u64
// pointers are unsafe.Pointer fields (64-bit hosts), so that the collector and the stack copier
// see them.
type bpfProgLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       unsafe.Pointer
	license     unsafe.Pointer
	logLevel    uint32
	logSize     uint32
	logBuf      unsafe.Pointer
	kernVersion uint32
	progFlags   uint32
	progName    [16]byte
}

// bpfProgAttachAttr is the BPF_PROG_ATTACH part of union bpf_attr.
type bpfProgAttachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
}

// setDevicesV2 compiles the rules, loads the program and attaches it to dir. Attaching without
// flags replaces the program a previous Set attached, and forbids other programs below it.
func setDevicesV2(dir string, rules []specs.LinuxDeviceCgroup) error {
	prog, err := deviceProgram(rules)
	if err != nil {
		return err
	}
	fd, err := loadDeviceProgram(prog)
	if err != nil {
		return err
	}
	defer unix.Close(int(fd))
	cg, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("set devices: open %s: %w", dir, err)
	}
	defer unix.Close(cg)
	at := bpfProgAttachAttr{targetFd: uint32(cg), attachBpfFd: uint32(fd), attachType: unix.BPF_CGROUP_DEVICE}
	if _, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_ATTACH, uintptr(unsafe.Pointer(&at)), unsafe.Sizeof(at)); errno != 0 {
		return fmt.Errorf("set devices: attach device program to %s: %w", dir, errno)
	}
	return nil
}

// loadDeviceProgram loads prog as a BPF_PROG_TYPE_CGROUP_DEVICE program. Without the
// verifier's log first: with it the verifier writes out every instruction's state, and a
// container's create waited for that (1.4 ms under strace). Only a refused program is loaded
// again with the log, for the error message.
func loadDeviceProgram(prog []insn) (uintptr, error) {
	code := encodeProgram(prog)
	license := []byte("Apache-2.0\x00")
	load := func(logBuf []byte) (uintptr, unix.Errno) {
		attr := bpfProgLoadAttr{
			progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
			insnCnt:  uint32(len(prog)),
			insns:    unsafe.Pointer(&code[0]),
			license:  unsafe.Pointer(&license[0]),
		}
		if logBuf != nil {
			attr.logLevel, attr.logSize, attr.logBuf = 1, uint32(len(logBuf)), unsafe.Pointer(&logBuf[0])
		}
		copy(attr.progName[:], "minictr_dev")
		// The verifier gives up with EAGAIN when a signal arrives while it runs (a SIGCHLD of
		// the init's start, say); the load is then simply tried again, a bounded number of times.
		var fd uintptr
		var errno unix.Errno
		for try := 0; try < 10; try++ {
			fd, _, errno = unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
			if errno != unix.EAGAIN {
				break
			}
		}
		runtime.KeepAlive(&attr)
		runtime.KeepAlive(logBuf)
		return fd, errno
	}
	fd, errno := load(nil)
	if errno == 0 {
		return fd, nil
	}
	logBuf := make([]byte, 16384)
	if fd, errno2 := load(logBuf); errno2 == 0 {
		return fd, nil // refused once, taken with the log: keep it
	} else if errno2 != errno {
		errno = errno2
	}
	msg := string(logBuf[:clen(logBuf)])
	return 0, fmt.Errorf("set devices: load BPF_PROG_TYPE_CGROUP_DEVICE program (%d instructions): %w (verifier: %q)", len(prog), errno, msg)
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}
