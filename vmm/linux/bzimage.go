package linux

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// BzImage is a parsed bzImage.
type BzImage struct {
	Header SetupHeader
	// HeaderBytes are the setup header bytes as the image has them, from 0x1f1 to the end of
	// the header (0x202 + the jump offset), for copying into boot_params.
	HeaderBytes []byte
	// Payload is the compressed kernel (vmlinux.bin.<method>, an ELF once decompressed).
	Payload []byte
}

// IsBzImage reports whether data starts like a bzImage (boot flag and "HdrS").
func IsBzImage(data []byte) bool {
	return len(data) >= 0x206 && binary.LittleEndian.Uint16(data[0x1fe:]) == BootFlagMagic &&
		binary.LittleEndian.Uint32(data[0x202:]) == HeaderMagic
}

// ParseBzImage reads the setup header and locates the payload. It needs protocol 2.08 or
// later (payload_offset/length); every offset is checked against the file size.
func ParseBzImage(data []byte) (*BzImage, error) {
	if len(data) < 0x270 {
		return nil, fmt.Errorf("bzImage: %d bytes, too short for a setup header", len(data))
	}
	if !IsBzImage(data) {
		return nil, fmt.Errorf("bzImage: no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202")
	}
	b := &BzImage{}
	if err := binary.Read(bytes.NewReader(data[OffSetupHeader:]), binary.LittleEndian, &b.Header); err != nil {
		return nil, fmt.Errorf("bzImage: read setup header: %w", err)
	}
	h := &b.Header
	if h.Version < 0x0208 {
		return nil, fmt.Errorf("bzImage: boot protocol %d.%02d: need 2.08 or later (payload location)", h.Version>>8, h.Version&0xff)
	}
	end := 0x202 + int(data[0x201])
	if end > len(data) || end < OffSetupHeader {
		return nil, fmt.Errorf("bzImage: setup header end 0x%x beyond the file (%d bytes)", end, len(data))
	}
	b.HeaderBytes = append([]byte(nil), data[OffSetupHeader:end]...)
	setupSects := int(h.SetupSects)
	if setupSects == 0 {
		setupSects = 4 // the protocol's rule for old images
	}
	protStart := (setupSects + 1) * 512
	start := uint64(protStart) + uint64(h.PayloadOffset)
	if start+uint64(h.PayloadLength) > uint64(len(data)) || h.PayloadLength == 0 {
		return nil, fmt.Errorf("bzImage: payload at 0x%x+0x%x beyond the file (%d bytes)", start, h.PayloadLength, len(data))
	}
	b.Payload = data[start : start+uint64(h.PayloadLength)]
	return b, nil
}
