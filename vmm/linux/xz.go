package linux

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// decodeXZ decodes the first block of an .xz stream whose filter chain is LZMA2, optionally
// preceded by the x86 BCJ filter: what the kernel's build (scripts/xz_wrap.sh: --x86 --lzma2)
// produces. The xz module we use decodes LZMA2 but not BCJ filter chains, so this file parses
// the container (stream header, block header, check) itself and undoes the BCJ filter.
//
//	stream header: fd 37 7a 58 5a 00 | flags (2) | crc32 (4)
//	block header:  size byte (real size = (b+1)*4) | flags | [sizes] | filter flags... | pad | crc32
//	block data:    LZMA2 chunks ending with chunk type 0x00, padded to 4 bytes, then the check
func decodeXZ(p []byte, limit int) ([]byte, error) {
	if len(p) < 12+12 {
		return nil, errors.New("stream too short")
	}
	flags := p[6:8]
	if crc32.ChecksumIEEE(flags) != binary.LittleEndian.Uint32(p[8:12]) {
		return nil, errors.New("stream header CRC mismatch")
	}
	checkType := flags[1] & 0x0f
	bh := p[12:]
	hsize := (int(bh[0]) + 1) * 4
	if bh[0] == 0 {
		return nil, errors.New("no block (empty stream)")
	}
	if hsize > len(bh) {
		return nil, fmt.Errorf("block header size %d beyond the stream", hsize)
	}
	if crc32.ChecksumIEEE(bh[:hsize-4]) != binary.LittleEndian.Uint32(bh[hsize-4:hsize]) {
		return nil, errors.New("block header CRC mismatch")
	}
	r := bytes.NewReader(bh[2 : hsize-4])
	bflags := bh[1]
	if bflags&0x40 != 0 { // compressed size present
		if _, err := binary.ReadUvarint(r); err != nil {
			return nil, fmt.Errorf("block header: compressed size: %w", err)
		}
	}
	if bflags&0x80 != 0 { // uncompressed size present
		if _, err := binary.ReadUvarint(r); err != nil {
			return nil, fmt.Errorf("block header: uncompressed size: %w", err)
		}
	}
	nfilters := int(bflags&3) + 1
	bcj := false
	dictCap := 0
	for i := 0; i < nfilters; i++ {
		id, err1 := binary.ReadUvarint(r)
		psize, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil || psize > uint64(r.Len()) {
			return nil, errors.New("block header: bad filter flags")
		}
		props := make([]byte, psize)
		io.ReadFull(r, props)
		switch {
		case id == 0x04 && i < nfilters-1 && psize == 0: // x86 BCJ, start offset 0
			bcj = true
		case id == 0x21 && i == nfilters-1 && psize == 1: // LZMA2, last in the chain
			d := props[0] & 0x3f
			if d > 40 {
				return nil, fmt.Errorf("LZMA2 dictionary size code %d", d)
			}
			if d == 40 {
				dictCap = 0xffffffff
			} else {
				dictCap = (2 | int(d&1)) << (d/2 + 11)
			}
		default:
			return nil, fmt.Errorf("filter 0x%x (props %d bytes) at position %d is not supported (want x86 BCJ then LZMA2)", id, psize, i)
		}
	}
	if dictCap == 0 {
		return nil, errors.New("block has no LZMA2 filter")
	}
	dictCap = max(dictCap, lzma.MinDictCap)
	data := bytes.NewReader(bh[hsize:])
	lr, err := lzma.Reader2Config{DictCap: dictCap}.NewReader2(data)
	if err != nil {
		return nil, fmt.Errorf("LZMA2: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(lr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("LZMA2: %w", err)
	}
	if len(out) > limit {
		return nil, fmt.Errorf("decompresses to more than %d bytes", limit)
	}
	if bcj {
		bcjX86Decode(out)
	}
	// The check of the uncompressed data follows the compressed data, padded to 4 bytes
	// (counted from the block start). The LZMA2 reader reads byte by byte from a
	// bytes.Reader, so what it left unread starts at the padding.
	consumed := hsize + (len(bh) - hsize - data.Len())
	at := 12 + (consumed+3)&^3
	var want, got []byte
	switch checkType {
	case 0x00:
	case 0x01:
		got = binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(out))
	case 0x04:
		got = binary.LittleEndian.AppendUint64(nil, crc64.Checksum(out, crc64.MakeTable(crc64.ECMA)))
	default:
		return nil, fmt.Errorf("check type %d not supported", checkType)
	}
	if len(got) > 0 {
		if at+len(got) > len(p) {
			return nil, errors.New("stream ends before the block check")
		}
		want = p[at : at+len(got)]
		if !bytes.Equal(want, got) {
			return nil, fmt.Errorf("check of the decompressed data: stream has % x, data gives % x", want, got)
		}
	}
	// One block only (what the kernel's build writes): the index must follow.
	if next := at + len(got); next >= len(p) || p[next] != 0x00 {
		return nil, errors.New("more than one block: not supported (the kernel's build writes one)")
	}
	return out, nil
}

// bcjX86Decode undoes the x86 branch-call-jump filter in place. The encoder turned the
// relative 32-bit targets of CALL (E8) and JMP (E9) into absolute ones, so that repeated calls
// to a function compress well; decoding subtracts the position again. prevMask remembers which
// of the previous bytes were E8/E9 opcodes, so that the decoder skips the same candidates the
// encoder skipped (the state machine of the xz file format's BCJ filter).
func bcjX86Decode(buf []byte) {
	allowed := [8]bool{true, true, true, false, true, false, false, false}
	bitNumber := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	isMSByte := func(b byte) bool { return b == 0 || b == 0xff }
	var prevMask uint32
	prevPos := ^uint32(4) // -5: "no previous candidate"
	if len(buf) < 5 {
		return
	}
	limit := len(buf) - 5
	for i := 0; i <= limit; {
		b := buf[i]
		if b != 0xe8 && b != 0xe9 {
			i++
			continue
		}
		pos := uint32(i)
		off := pos - prevPos
		prevPos = pos
		if off > 5 {
			prevMask = 0
		} else {
			for k := uint32(0); k < off; k++ {
				prevMask &= 0x77
				prevMask <<= 1
			}
		}
		b = buf[i+4]
		if isMSByte(b) && allowed[(prevMask>>1)&7] && prevMask>>1 < 0x10 {
			src := binary.LittleEndian.Uint32(buf[i+1:])
			var dest uint32
			for {
				dest = src - (pos + 5)
				if prevMask == 0 {
					break
				}
				j := bitNumber[prevMask>>1]
				b = byte(dest >> (24 - j*8))
				if !isMSByte(b) {
					break
				}
				src = dest ^ (1<<(32-j*8) - 1)
			}
			// Bit 24 of the target is sign-extended into the top byte: 00 or ff.
			buf[i+4] = ^byte((dest>>24)&1 - 1)
			buf[i+3] = byte(dest >> 16)
			buf[i+2] = byte(dest >> 8)
			buf[i+1] = byte(dest)
			i += 5
			prevMask = 0
		} else {
			i++
			prevMask |= 1
			if isMSByte(b) {
				prevMask |= 0x10
			}
		}
	}
}
