// Package isa defines the process VM's instruction set, its binary module format (.mbc), the
// loader and verifier, and the text assembler and disassembler (.masm).
//
// Instruction layout (32 bits, little end first):
//
//	 31      24 23      16 15       8 7        0
//	+----------+----------+----------+----------+
//	|    C     |    B     |    A     |    op    |   iABC
//	+----------+----------+----------+----------+
//	|         Bx / sBx    |    A     |    op    |   iABx, iAsBx
//	+---------------------+----------+----------+
//	|              Ax                |    op    |   iAx
//	+--------------------------------+----------+
//
// A register holds one value: a 64-bit scalar half (ints, bools as 0/1, float64 bits) and a
// reference half (strings, slices, maps, structs, closures, interfaces, channels) kept in two
// parallel arrays, so scalars are never boxed.
package isa

import "fmt"

// Op is an opcode.
type Op uint8

// Format of an instruction's operand fields.
type Format uint8

const (
	FmtABC  Format = iota // A, B, C: 8 bits each
	FmtABx                // A: 8 bits, Bx: 16 bits unsigned
	FmtAsBx               // A: 8 bits, sBx: 16 bits signed
	FmtAx                 // Ax: 24 bits
)

// Role says what an operand field means; the verifier and assembler check it.
type Role uint8

const (
	RNone  Role = iota // unused, must be 0
	RReg               // register index
	RImm               // small signed immediate (8 bits, or 16 for sBx)
	RUImm              // small unsigned immediate / count / kind
	RConst             // constant pool index
	RJump              // signed jump offset relative to the next instruction
	RFunc              // function index
	RType              // type index
	RHost              // host function index
	RMeth              // method name index
	RGlob              // global index
)

// OpInfo describes one opcode.
type OpInfo struct {
	Name    string
	Format  Format
	A, B, C Role
	Doc     string
}

// Instruction encoding helpers.

func ABC(op Op, a, b, c uint8) uint32 {
	return uint32(op) | uint32(a)<<8 | uint32(b)<<16 | uint32(c)<<24
}
func ABx(op Op, a uint8, bx uint16) uint32 { return uint32(op) | uint32(a)<<8 | uint32(bx)<<16 }
func AsBx(op Op, a uint8, sbx int16) uint32 {
	return uint32(op) | uint32(a)<<8 | uint32(uint16(sbx))<<16
}
func Ax(op Op, ax uint32) uint32 { return uint32(op) | (ax&0xffffff)<<8 }
func GetOp(i uint32) Op          { return Op(i) }
func GetA(i uint32) uint8        { return uint8(i >> 8) }
func GetB(i uint32) uint8        { return uint8(i >> 16) }
func GetC(i uint32) uint8        { return uint8(i >> 24) }
func GetBx(i uint32) uint16      { return uint16(i >> 16) }
func GetSBx(i uint32) int16      { return int16(uint16(i >> 16)) }
func GetAx(i uint32) uint32      { return i >> 8 }
func (o Op) String() string {
	if int(o) < len(Ops) && Ops[o].Name != "" {
		return Ops[o].Name
	}
	return fmt.Sprintf("op%d", uint8(o))
}

// Opcodes. The table Ops below gives each one's format, operand roles and meaning; docs/vm.md
// is generated from the same table (see Doc).
const (
	NOP Op = iota
	MOV
	MOVR
	MOVALL
	LOADI
	LOADK
	LOADKR
	CLEAR
	GETG
	SETG
	ADD
	SUB
	MUL
	DIV
	MOD
	DIVU
	MODU
	AND
	OR
	XOR
	ANDNOT
	SHL
	SHR
	SHRU
	ADDI
	MULI
	NEG
	BNOT
	NOT
	EXT
	FADD
	FSUB
	FMUL
	FDIV
	FNEG
	F32
	I2F
	U2F
	F2I
	F2U
	FSQRT
	FFLOOR
	FABS
	EQ
	NE
	LT
	LE
	LTU
	LEU
	FEQ
	FNE
	FLT
	FLE
	SEQ
	SLT
	SLE
	REQ
	ISNIL
	JMP
	IFT
	IFF
	IFEQ
	IFNE
	IFLT
	IFLE
	IFLTU
	IFLEU
	IFFLT
	IFFLE
	IFEQI
	IFNEI
	IFLTI
	IFLEI
	IFGTI
	IFGEI
	FORLT
	SCAT
	SLEN
	SIDX
	SSLICE
	S2B
	B2S
	R2S
	S2R
	RS2S
	SNEXT
	MKSLICE
	LEN
	CAP
	IDX
	IDXB
	IDXR
	SETIDX
	SETIDXB
	SETIDXR
	SLICE
	SLICE3
	APPEND
	APPENDB
	APPENDR
	APPENDS
	COPY
	PACK
	PACKB
	PACKR
	MKMAP
	MAPGET
	MAPSET
	MAPDEL
	MAPITER
	MAPNEXT
	NEW
	GETF
	GETFR
	AGET
	AGETR
	ASET
	ASETR
	SETF
	SETFR
	CLONE
	COPYIN
	BOX
	ASSERT
	ASSERT2
	ASSERTI
	ASSERTI2
	TYPEOF
	CALL
	CALLCL
	CALLI
	CALLH
	RET
	CLOSURE
	CAPREG
	CAPUP
	GETUP
	SETUP
	NEWCELL
	LDCELL
	STCELL
	DEFER
	RUNDEFER
	PANIC
	RECOVER
	GO
	MKCHAN
	SEND
	RECV
	RECV2
	CLOSECH
	SELECT
	SELCASE
	GOSCHED
	EXTRA
	DIVI
	MODI
	NumOps
)

// Ops describes every opcode.
var Ops = [...]OpInfo{
	NOP:      {"NOP", FmtABC, RNone, RNone, RNone, "do nothing"},
	MOV:      {"MOV", FmtABC, RReg, RReg, RNone, "n[A] = n[B] (scalar half)"},
	MOVR:     {"MOVR", FmtABC, RReg, RReg, RNone, "r[A] = r[B] (reference half)"},
	MOVALL:   {"MOVALL", FmtABC, RReg, RReg, RNone, "n[A], r[A] = n[B], r[B]"},
	LOADI:    {"LOADI", FmtAsBx, RReg, RImm, RNone, "n[A] = sBx"},
	LOADK:    {"LOADK", FmtABx, RReg, RConst, RNone, "n[A] = K[Bx] (int or float bits)"},
	LOADKR:   {"LOADKR", FmtABx, RReg, RConst, RNone, "r[A] = K[Bx] (string)"},
	CLEAR:    {"CLEAR", FmtABC, RReg, RNone, RNone, "n[A], r[A] = 0, nil (zero value of non-aggregates)"},
	GETG:     {"GETG", FmtABx, RReg, RGlob, RNone, "n[A], r[A] = global Bx"},
	SETG:     {"SETG", FmtABx, RReg, RGlob, RNone, "global Bx = n[A], r[A]"},
	ADD:      {"ADD", FmtABC, RReg, RReg, RReg, "n[A] = n[B] + n[C] (int64, wrapping)"},
	SUB:      {"SUB", FmtABC, RReg, RReg, RReg, "n[A] = n[B] - n[C]"},
	MUL:      {"MUL", FmtABC, RReg, RReg, RReg, "n[A] = n[B] * n[C]"},
	DIV:      {"DIV", FmtABC, RReg, RReg, RReg, "n[A] = n[B] / n[C] signed; panics on zero"},
	MOD:      {"MOD", FmtABC, RReg, RReg, RReg, "n[A] = n[B] % n[C] signed; panics on zero"},
	DIVU:     {"DIVU", FmtABC, RReg, RReg, RReg, "n[A] = n[B] / n[C] unsigned; panics on zero"},
	MODU:     {"MODU", FmtABC, RReg, RReg, RReg, "n[A] = n[B] % n[C] unsigned; panics on zero"},
	AND:      {"AND", FmtABC, RReg, RReg, RReg, "n[A] = n[B] & n[C]"},
	OR:       {"OR", FmtABC, RReg, RReg, RReg, "n[A] = n[B] | n[C]"},
	XOR:      {"XOR", FmtABC, RReg, RReg, RReg, "n[A] = n[B] ^ n[C]"},
	ANDNOT:   {"ANDNOT", FmtABC, RReg, RReg, RReg, "n[A] = n[B] &^ n[C]"},
	SHL:      {"SHL", FmtABC, RReg, RReg, RReg, "n[A] = n[B] << n[C]; panics if n[C] < 0 (signed count)"},
	SHR:      {"SHR", FmtABC, RReg, RReg, RReg, "n[A] = int64(n[B]) >> n[C] (arithmetic)"},
	SHRU:     {"SHRU", FmtABC, RReg, RReg, RReg, "n[A] = n[B] >> n[C] (logical)"},
	ADDI:     {"ADDI", FmtABC, RReg, RReg, RImm, "n[A] = n[B] + sC"},
	MULI:     {"MULI", FmtABC, RReg, RReg, RImm, "n[A] = n[B] * sC"},
	NEG:      {"NEG", FmtABC, RReg, RReg, RNone, "n[A] = -n[B]"},
	BNOT:     {"BNOT", FmtABC, RReg, RReg, RNone, "n[A] = ^n[B]"},
	NOT:      {"NOT", FmtABC, RReg, RReg, RNone, "n[A] = !n[B] (bool)"},
	EXT:      {"EXT", FmtABC, RReg, RReg, RUImm, "n[A] = n[B] narrowed: C=1 int8 2 int16 3 int32 5 uint8 6 uint16 7 uint32"},
	FADD:     {"FADD", FmtABC, RReg, RReg, RReg, "n[A] = n[B] + n[C] (float64)"},
	FSUB:     {"FSUB", FmtABC, RReg, RReg, RReg, "n[A] = n[B] - n[C] (float64)"},
	FMUL:     {"FMUL", FmtABC, RReg, RReg, RReg, "n[A] = n[B] * n[C] (float64)"},
	FDIV:     {"FDIV", FmtABC, RReg, RReg, RReg, "n[A] = n[B] / n[C] (float64)"},
	FNEG:     {"FNEG", FmtABC, RReg, RReg, RNone, "n[A] = -n[B] (float64)"},
	F32:      {"F32", FmtABC, RReg, RReg, RNone, "n[A] = float64(float32(n[B]))"},
	I2F:      {"I2F", FmtABC, RReg, RReg, RNone, "n[A] = float64(int64 n[B])"},
	U2F:      {"U2F", FmtABC, RReg, RReg, RNone, "n[A] = float64(uint64 n[B])"},
	F2I:      {"F2I", FmtABC, RReg, RReg, RNone, "n[A] = int64(float n[B])"},
	F2U:      {"F2U", FmtABC, RReg, RReg, RNone, "n[A] = uint64(float n[B])"},
	FSQRT:    {"FSQRT", FmtABC, RReg, RReg, RNone, "n[A] = sqrt(n[B])"},
	FFLOOR:   {"FFLOOR", FmtABC, RReg, RReg, RNone, "n[A] = floor(n[B])"},
	FABS:     {"FABS", FmtABC, RReg, RReg, RNone, "n[A] = |n[B]| (float64)"},
	EQ:       {"EQ", FmtABC, RReg, RReg, RReg, "n[A] = n[B] == n[C]"},
	NE:       {"NE", FmtABC, RReg, RReg, RReg, "n[A] = n[B] != n[C]"},
	LT:       {"LT", FmtABC, RReg, RReg, RReg, "n[A] = n[B] < n[C] (signed)"},
	LE:       {"LE", FmtABC, RReg, RReg, RReg, "n[A] = n[B] <= n[C] (signed)"},
	LTU:      {"LTU", FmtABC, RReg, RReg, RReg, "n[A] = n[B] < n[C] (unsigned)"},
	LEU:      {"LEU", FmtABC, RReg, RReg, RReg, "n[A] = n[B] <= n[C] (unsigned)"},
	FEQ:      {"FEQ", FmtABC, RReg, RReg, RReg, "n[A] = n[B] == n[C] (float64)"},
	FNE:      {"FNE", FmtABC, RReg, RReg, RReg, "n[A] = n[B] != n[C] (float64)"},
	FLT:      {"FLT", FmtABC, RReg, RReg, RReg, "n[A] = n[B] < n[C] (float64)"},
	FLE:      {"FLE", FmtABC, RReg, RReg, RReg, "n[A] = n[B] <= n[C] (float64)"},
	SEQ:      {"SEQ", FmtABC, RReg, RReg, RReg, "n[A] = r[B] == r[C] (strings)"},
	SLT:      {"SLT", FmtABC, RReg, RReg, RReg, "n[A] = r[B] < r[C] (strings)"},
	SLE:      {"SLE", FmtABC, RReg, RReg, RReg, "n[A] = r[B] <= r[C] (strings)"},
	REQ:      {"REQ", FmtABC, RReg, RReg, RReg, "n[A] = r[B] == r[C] (interfaces, pointers, channels: identity/value)"},
	ISNIL:    {"ISNIL", FmtABC, RReg, RReg, RNone, "n[A] = r[B] is nil (nil slice, map, pointer, func, chan, interface)"},
	JMP:      {"JMP", FmtAsBx, RNone, RJump, RNone, "pc += sBx"},
	IFT:      {"IFT", FmtABC, RReg, RNone, RNone, "if n[A] != 0 execute the next instruction (a JMP), else skip it"},
	IFF:      {"IFF", FmtABC, RReg, RNone, RNone, "if n[A] == 0 execute the next instruction, else skip it"},
	IFEQ:     {"IFEQ", FmtABC, RReg, RReg, RNone, "if n[A] == n[B] execute the next instruction, else skip it"},
	IFNE:     {"IFNE", FmtABC, RReg, RReg, RNone, "if n[A] != n[B] ..."},
	IFLT:     {"IFLT", FmtABC, RReg, RReg, RNone, "if n[A] < n[B] (signed) ..."},
	IFLE:     {"IFLE", FmtABC, RReg, RReg, RNone, "if n[A] <= n[B] (signed) ..."},
	IFLTU:    {"IFLTU", FmtABC, RReg, RReg, RNone, "if n[A] < n[B] (unsigned) ..."},
	IFLEU:    {"IFLEU", FmtABC, RReg, RReg, RNone, "if n[A] <= n[B] (unsigned) ..."},
	IFFLT:    {"IFFLT", FmtABC, RReg, RReg, RNone, "if n[A] < n[B] (float64) ..."},
	IFFLE:    {"IFFLE", FmtABC, RReg, RReg, RNone, "if n[A] <= n[B] (float64) ..."},
	IFEQI:    {"IFEQI", FmtABC, RReg, RImm, RNone, "if n[A] == sB ..."},
	IFNEI:    {"IFNEI", FmtABC, RReg, RImm, RNone, "if n[A] != sB ..."},
	IFLTI:    {"IFLTI", FmtABC, RReg, RImm, RNone, "if n[A] < sB ..."},
	IFLEI:    {"IFLEI", FmtABC, RReg, RImm, RNone, "if n[A] <= sB ..."},
	IFGTI:    {"IFGTI", FmtABC, RReg, RImm, RNone, "if n[A] > sB ..."},
	IFGEI:    {"IFGEI", FmtABC, RReg, RImm, RNone, "if n[A] >= sB ..."},
	FORLT:    {"FORLT", FmtABC, RReg, RReg, RImm, "n[A] += sC; if n[A] < n[B] execute the next instruction (loop back), else skip it"},
	SCAT:     {"SCAT", FmtABC, RReg, RReg, RReg, "r[A] = r[B] + r[C] (string concatenation)"},
	SLEN:     {"SLEN", FmtABC, RReg, RReg, RNone, "n[A] = len(r[B]) (string)"},
	SIDX:     {"SIDX", FmtABC, RReg, RReg, RReg, "n[A] = r[B][n[C]] (string byte)"},
	SSLICE:   {"SSLICE", FmtABC, RReg, RReg, RReg, "r[A] = r[B][n[C]:n[C+1]] (string)"},
	S2B:      {"S2B", FmtABC, RReg, RReg, RNone, "r[A] = []byte(r[B])"},
	B2S:      {"B2S", FmtABC, RReg, RReg, RNone, "r[A] = string(r[B] []byte)"},
	R2S:      {"R2S", FmtABC, RReg, RReg, RNone, "r[A] = string(rune n[B])"},
	S2R:      {"S2R", FmtABC, RReg, RReg, RNone, "r[A] = []rune(r[B])"},
	RS2S:     {"RS2S", FmtABC, RReg, RReg, RNone, "r[A] = string(r[B] []rune)"},
	SNEXT:    {"SNEXT", FmtABC, RReg, RReg, RReg, "n[A], n[A+1] = rune and width of r[B] at byte n[C]"},
	MKSLICE:  {"MKSLICE", FmtABC, RReg, RReg, RNone, "r[A] = make(T, n[B], n[B+1]); T is the type in the next EXTRA word"},
	LEN:      {"LEN", FmtABC, RReg, RReg, RNone, "n[A] = len(r[B]) (string, slice, map, chan)"},
	CAP:      {"CAP", FmtABC, RReg, RReg, RNone, "n[A] = cap(r[B]) (slice, chan)"},
	IDX:      {"IDX", FmtABC, RReg, RReg, RReg, "n[A] = r[B][n[C]] (scalar slice)"},
	IDXB:     {"IDXB", FmtABC, RReg, RReg, RReg, "n[A] = r[B][n[C]] (byte slice)"},
	IDXR:     {"IDXR", FmtABC, RReg, RReg, RReg, "r[A] = r[B][n[C]] (reference slice)"},
	SETIDX:   {"SETIDX", FmtABC, RReg, RReg, RReg, "r[A][n[B]] = n[C] (scalar slice)"},
	SETIDXB:  {"SETIDXB", FmtABC, RReg, RReg, RReg, "r[A][n[B]] = byte(n[C])"},
	SETIDXR:  {"SETIDXR", FmtABC, RReg, RReg, RReg, "r[A][n[B]] = r[C] (reference slice)"},
	SLICE:    {"SLICE", FmtABC, RReg, RReg, RReg, "r[A] = r[B][n[C]:n[C+1]] (n[C+1] < 0 means len)"},
	SLICE3:   {"SLICE3", FmtABC, RReg, RReg, RReg, "r[A] = r[B][n[C]:n[C+1]:n[C+2]]"},
	APPEND:   {"APPEND", FmtABC, RReg, RReg, RReg, "r[A] = append(r[B], n[C]) (scalar slice)"},
	APPENDB:  {"APPENDB", FmtABC, RReg, RReg, RReg, "r[A] = append(r[B], byte(n[C]))"},
	APPENDR:  {"APPENDR", FmtABC, RReg, RReg, RReg, "r[A] = append(r[B], r[C]) (reference slice)"},
	APPENDS:  {"APPENDS", FmtABC, RReg, RReg, RReg, "r[A] = append(r[B], r[C]...) (slice or string onto []byte)"},
	COPY:     {"COPY", FmtABC, RReg, RReg, RReg, "n[A] = copy(r[B], r[C])"},
	PACK:     {"PACK", FmtABC, RReg, RReg, RUImm, "r[A] = []scalar{n[B] .. n[B+C-1]}"},
	PACKB:    {"PACKB", FmtABC, RReg, RReg, RUImm, "r[A] = []byte{n[B] .. n[B+C-1]}"},
	PACKR:    {"PACKR", FmtABC, RReg, RReg, RUImm, "r[A] = []ref{r[B] .. r[B+C-1]}"},
	MKMAP:    {"MKMAP", FmtABx, RReg, RType, RNone, "r[A] = make(map type Bx)"},
	MAPGET:   {"MAPGET", FmtABC, RReg, RReg, RReg, "n[A], r[A] = r[B][key C]; n[A+1] = found"},
	MAPSET:   {"MAPSET", FmtABC, RReg, RReg, RReg, "r[A][key B] = value C (panics on nil map)"},
	MAPDEL:   {"MAPDEL", FmtABC, RReg, RReg, RNone, "delete(r[A], key B)"},
	MAPITER:  {"MAPITER", FmtABC, RReg, RReg, RNone, "r[A] = iterator over map r[B] (keys snapshot)"},
	MAPNEXT:  {"MAPNEXT", FmtABC, RReg, RReg, RNone, "key -> A, value -> A+1 from iterator r[B]; when done execute the next instruction (a JMP out), else skip it"},
	NEW:      {"NEW", FmtABx, RReg, RType, RNone, "r[A] = new zero struct or array of type Bx"},
	GETF:     {"GETF", FmtABC, RReg, RReg, RUImm, "n[A] = r[B].n[C] (scalar field; panics on nil)"},
	GETFR:    {"GETFR", FmtABC, RReg, RReg, RUImm, "r[A] = r[B].r[C] (reference field)"},
	AGET:     {"AGET", FmtABC, RReg, RReg, RReg, "n[A] = r[B][n[C]] (scalar array element, bounds-checked)"},
	AGETR:    {"AGETR", FmtABC, RReg, RReg, RReg, "r[A] = r[B][n[C]] (reference array element)"},
	ASET:     {"ASET", FmtABC, RReg, RReg, RReg, "r[A][n[B]] = n[C] (scalar array element)"},
	ASETR:    {"ASETR", FmtABC, RReg, RReg, RReg, "r[A][n[B]] = r[C] (reference array element)"},
	SETF:     {"SETF", FmtABC, RReg, RUImm, RReg, "r[A].n[B] = n[C]"},
	SETFR:    {"SETFR", FmtABC, RReg, RUImm, RReg, "r[A].r[B] = r[C]"},
	CLONE:    {"CLONE", FmtABC, RReg, RReg, RNone, "r[A] = deep copy of struct/array value r[B]"},
	COPYIN:   {"COPYIN", FmtABC, RReg, RReg, RNone, "*r[A] = copy of struct/array value r[B] (in place)"},
	BOX:      {"BOX", FmtABx, RReg, RType, RNone, "r[A] = interface{type Bx, n[A], r[A]}"},
	ASSERT:   {"ASSERT", FmtABx, RReg, RType, RNone, "n[A], r[A] = r[A].(type Bx); panics on mismatch"},
	ASSERT2:  {"ASSERT2", FmtABx, RReg, RType, RNone, "n[A], r[A], n[A+1] = r[A].(type Bx) comma-ok"},
	ASSERTI:  {"ASSERTI", FmtABx, RReg, RType, RNone, "r[A] stays if it implements interface Bx, else panics"},
	ASSERTI2: {"ASSERTI2", FmtABx, RReg, RType, RNone, "comma-ok form of ASSERTI; ok in n[A+1]"},
	TYPEOF:   {"TYPEOF", FmtABC, RReg, RReg, RNone, "n[A] = dynamic type index of interface r[B] (-1 if nil)"},
	CALL:     {"CALL", FmtABx, RReg, RFunc, RNone, "call function Bx with frame base A (args at A.., results at A..)"},
	CALLCL:   {"CALLCL", FmtABC, RReg, RReg, RNone, "call closure r[B] with frame base A"},
	CALLI:    {"CALLI", FmtABx, RReg, RMeth, RNone, "call method Bx of interface r[A]; receiver replaces r[A]"},
	CALLH:    {"CALLH", FmtABx, RReg, RHost, RNone, "call host function Bx with args at A.., results at A.."},
	RET:      {"RET", FmtABC, RReg, RUImm, RNone, "return B values from A.. (copied to the frame's r0..)"},
	CLOSURE:  {"CLOSURE", FmtABx, RReg, RFunc, RNone, "r[A] = closure of function Bx; its captures follow as CAPREG/CAPUP words"},
	CAPREG:   {"CAPREG", FmtABC, RReg, RNone, RNone, "capture: the cell in r[A]"},
	CAPUP:    {"CAPUP", FmtABC, RUImm, RNone, RNone, "capture: the enclosing closure's cell A"},
	GETUP:    {"GETUP", FmtABC, RReg, RUImm, RNone, "n[A], r[A] = value of captured cell B"},
	SETUP:    {"SETUP", FmtABC, RReg, RUImm, RNone, "captured cell B = n[A], r[A]"},
	NEWCELL:  {"NEWCELL", FmtABC, RReg, RReg, RNone, "r[A] = new cell holding n[B], r[B]"},
	LDCELL:   {"LDCELL", FmtABC, RReg, RReg, RNone, "n[A], r[A] = value of cell r[B]"},
	STCELL:   {"STCELL", FmtABC, RReg, RReg, RNone, "cell r[A] = n[B], r[B]"},
	DEFER:    {"DEFER", FmtABC, RReg, RUImm, RNone, "defer call of closure r[A] with B args from A+1"},
	RUNDEFER: {"RUNDEFER", FmtABC, RNone, RNone, RNone, "run the frame's pending deferred calls, then continue"},
	PANIC:    {"PANIC", FmtABC, RReg, RNone, RNone, "panic with interface value r[A]"},
	RECOVER:  {"RECOVER", FmtABC, RReg, RNone, RNone, "r[A] = recover()"},
	GO:       {"GO", FmtABC, RReg, RUImm, RNone, "start a goroutine calling closure r[A] with B args from A+1"},
	MKCHAN:   {"MKCHAN", FmtABC, RReg, RReg, RNone, "r[A] = make(chan, n[B])"},
	SEND:     {"SEND", FmtABC, RReg, RReg, RNone, "r[A] <- n[B], r[B]"},
	RECV:     {"RECV", FmtABC, RReg, RReg, RNone, "n[A], r[A] = <-r[B]"},
	RECV2:    {"RECV2", FmtABC, RReg, RReg, RNone, "n[A], r[A], n[A+1] = <-r[B] comma-ok"},
	CLOSECH:  {"CLOSECH", FmtABC, RReg, RNone, RNone, "close(r[A])"},
	SELECT:   {"SELECT", FmtABC, RReg, RUImm, RUImm, "select over B cases (SELCASE words follow); C=1: has default; n[A] = chosen case, -1 default"},
	SELCASE:  {"SELCASE", FmtABC, RUImm, RReg, RReg, "select case: A=0 recv from r[B] into C (ok in C+1), A=1 send n/r[C] to r[B]"},
	GOSCHED:  {"GOSCHED", FmtABC, RNone, RNone, RNone, "yield to other goroutines"},
	DIVI:     {"DIVI", FmtABC, RReg, RReg, RImm, "n[A] = n[B] / sC (signed; sC != 0)"},
	MODI:     {"MODI", FmtABC, RReg, RReg, RImm, "n[A] = n[B] % sC (signed; sC != 0)"},
	EXTRA:    {"EXTRA", FmtAx, RType, RNone, RNone, "extra operand (type index) for the previous instruction"},
}

// Ext codes for EXT.
const (
	ExtI8  = 1
	ExtI16 = 2
	ExtI32 = 3
	ExtU8  = 5
	ExtU16 = 6
	ExtU32 = 7
)

// IsCondSkip reports whether op is a conditional that either executes or skips the next
// instruction, which must be a JMP.
func IsCondSkip(op Op) bool {
	switch op {
	case IFT, IFF, IFEQ, IFNE, IFLT, IFLE, IFLTU, IFLEU, IFFLT, IFFLE, IFEQI, IFNEI, IFLTI, IFLEI, IFGTI, IFGEI, FORLT, MAPNEXT:
		return true
	}
	return false
}

// OpTable renders the opcode table as Markdown (docs/vm.md embeds it; a test keeps them equal).
func OpTable() string {
	var b []byte
	b = append(b, "| code | opcode | format | meaning |\n|---:|---|---|---|\n"...)
	fmts := [...]string{"A B C", "A Bx", "A sBx", "Ax"}
	for i := 0; i < int(NumOps); i++ {
		in := &Ops[i]
		b = append(b, fmt.Sprintf("| %d | `%s` | %s | %s |\n", i, in.Name, fmts[in.Format], in.Doc)...)
	}
	return string(b)
}
