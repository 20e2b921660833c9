package guest

import (
	"encoding/binary"
	"fmt"
)

// code is a tiny x86 byte emitter: raw bytes with little-endian immediates, and labels for
// 8-bit relative jumps, which is all our guests need. Every instruction is written by the
// generator functions with its assembly in a comment beside it.
type code struct {
	b      []byte
	labels map[string]int
	fixups []fixup
}

type fixup struct {
	at    int // offset of the rel8 byte
	label string
}

func newCode() *code { return &code{labels: map[string]int{}} }

func (c *code) emit(b ...byte) *code { c.b = append(c.b, b...); return c }

func (c *code) imm16(v uint16) *code { c.b = binary.LittleEndian.AppendUint16(c.b, v); return c }
func (c *code) imm32(v uint32) *code { c.b = binary.LittleEndian.AppendUint32(c.b, v); return c }
func (c *code) imm64(v uint64) *code { c.b = binary.LittleEndian.AppendUint64(c.b, v); return c }

// label marks the current offset.
func (c *code) label(name string) *code { c.labels[name] = len(c.b); return c }

// rel8 emits a placeholder for an 8-bit displacement to label, relative to the next byte.
func (c *code) rel8(label string) *code {
	c.fixups = append(c.fixups, fixup{at: len(c.b), label: label})
	return c.emit(0)
}

// bytes resolves the jumps; a jump that does not fit in 8 bits is a generator bug.
func (c *code) bytes() []byte {
	for _, f := range c.fixups {
		to, ok := c.labels[f.label]
		if !ok {
			panic("guest code: undefined label " + f.label)
		}
		d := to - (f.at + 1)
		if d < -128 || d > 127 {
			panic(fmt.Sprintf("guest code: jump to %s out of rel8 range (%d)", f.label, d))
		}
		c.b[f.at] = byte(int8(d))
	}
	return c.b
}
