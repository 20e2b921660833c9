package linux

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz/lzma"
)

// MaxKernelSize bounds a decompressed kernel (hostile input must not exhaust host memory).
const MaxKernelSize = 512 << 20

// Compression is a payload's compression method, detected from its magic bytes.
type Compression string

// The methods the kernel's build can use, and whether we decompress them.
const (
	Gzip  Compression = "gzip"
	XZ    Compression = "xz"
	Zstd  Compression = "zstd"
	Bzip2 Compression = "bzip2"
	LZMA  Compression = "lzma"
	LZ4   Compression = "lz4"  // not supported
	LZO   Compression = "lzo"  // not supported
	None  Compression = "none" // an ELF already
)

// DetectCompression names the method from the payload's first bytes.
func DetectCompression(p []byte) Compression {
	switch {
	case bytes.HasPrefix(p, []byte{0x7f, 'E', 'L', 'F'}):
		return None
	case bytes.HasPrefix(p, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(p, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return XZ
	case bytes.HasPrefix(p, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case bytes.HasPrefix(p, []byte("BZh")):
		return Bzip2
	case bytes.HasPrefix(p, []byte{0x5d, 0, 0}):
		return LZMA
	case bytes.HasPrefix(p, []byte{0x02, 0x21, 0x4c, 0x18}):
		return LZ4
	case bytes.HasPrefix(p, []byte{0x89, 'L', 'Z', 'O'}):
		return LZO
	}
	return ""
}

// Decompress decompresses a bzImage payload. The kernel's build appends the uncompressed size
// (4 bytes) after the compressed stream; the decoders stop at the end of their stream, so it
// is ignored.
func Decompress(p []byte) ([]byte, error) {
	method := DetectCompression(p)
	var r io.Reader
	switch method {
	case None:
		return p, nil
	case Gzip:
		zr, err := gzip.NewReader(bytes.NewReader(p))
		if err != nil {
			return nil, fmt.Errorf("gzip payload: %w", err)
		}
		zr.Multistream(false)
		r = zr
	case XZ:
		out, err := decodeXZ(p, MaxKernelSize)
		if err != nil {
			return nil, fmt.Errorf("xz payload: %w", err)
		}
		return out, nil
	case Zstd:
		zr, err := zstd.NewReader(bytes.NewReader(p), zstd.WithDecoderMaxMemory(MaxKernelSize), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd payload: %w", err)
		}
		defer zr.Close()
		r = zr
	case Bzip2:
		r = bzip2.NewReader(bytes.NewReader(p))
	case LZMA:
		zr, err := lzma.NewReader(bytes.NewReader(p))
		if err != nil {
			return nil, fmt.Errorf("lzma payload: %w", err)
		}
		r = zr
	case "":
		return nil, fmt.Errorf("payload: unknown compression (first bytes % x)", p[:min(len(p), 6)])
	default:
		return nil, fmt.Errorf("payload: %s compression is not supported (rebuild the kernel with xz, gzip or zstd, or pass the vmlinux)", method)
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxKernelSize+1))
	if err != nil && !(method == Zstd && len(out) > 0 && isTrailingGarbage(err)) {
		return nil, fmt.Errorf("%s payload: %w", method, err)
	}
	if len(out) > MaxKernelSize {
		return nil, fmt.Errorf("%s payload: decompresses to more than %d bytes", method, MaxKernelSize)
	}
	return out, nil
}

// isTrailingGarbage: the zstd decoder reads the appended size as the start of another frame.
func isTrailingGarbage(err error) bool {
	return err == zstd.ErrMagicMismatch || err == io.ErrUnexpectedEOF
}
