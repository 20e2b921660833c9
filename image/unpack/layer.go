package unpack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
)

// Compression is a layer's compression, found from its first bytes (not from the media type,
// which producers get wrong more often than the magic numbers).
type Compression string

const (
	Uncompressed Compression = "none"
	Gzip         Compression = "gzip"
	Zstd         Compression = "zstd"
)

// maxZstdWindow bounds the memory a hostile zstd frame can make the decoder allocate.
const maxZstdWindow = 128 << 20

// Decompress returns the uncompressed stream of r.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("read layer's first bytes: %w", err)
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, Gzip, fmt.Errorf("open gzip stream: %w", err)
		}
		return zr, Gzip, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, Zstd, fmt.Errorf("open zstd stream: %w", err)
		}
		return zr.IOReadCloser(), Zstd, nil
	default:
		return io.NopCloser(br), Uncompressed, nil
	}
}

// ApplyLayer decompresses the layer blob r and extracts it into dir, checking that the
// uncompressed stream has digest diffID (skipped when diffID is empty). Decompression and
// hashing run in a goroutine ahead of the extraction, as `tar -xz` runs gzip in a second
// process.
func ApplyLayer(ctx context.Context, dir string, r io.Reader, diffID digest.Digest, opts Options) (Stats, error) {
	dr, comp, err := Decompress(r)
	if err != nil {
		return Stats{}, fmt.Errorf("unpack layer %s into %s: %w", diffID, dir, err)
	}
	defer dr.Close()
	var h hash.Hash
	if diffID != "" {
		if err := diffID.Validate(); err != nil {
			return Stats{}, fmt.Errorf("unpack layer into %s: diff ID %q: %w", dir, diffID, err)
		}
		h = diffID.Algorithm().Hash()
	}
	ra := newReadahead(dr, h)
	defer ra.Close()
	st, err := Apply(ctx, dir, ra, opts)
	if err != nil {
		ra.Close()
		if rerr := ra.err; rerr != nil {
			return st, fmt.Errorf("unpack layer %s (%s) into %s: %w", diffID, comp, dir, rerr)
		}
		return st, fmt.Errorf("unpack layer %s into %s: %w", diffID, dir, err)
	}
	// The digest covers the whole stream, including the padding after the tar's end.
	if _, err := io.Copy(io.Discard, ra); err != nil {
		return st, fmt.Errorf("unpack layer %s (%s) into %s: read to end: %w", diffID, comp, dir, err)
	}
	if h != nil {
		got := digest.NewDigest(diffID.Algorithm(), h)
		if got != diffID {
			return st, fmt.Errorf("unpack layer into %s: uncompressed content has digest %s, the image config says %s", dir, got, diffID)
		}
	}
	return st, nil
}

// readahead reads src in a goroutine, a few chunks ahead of the consumer.
type readahead struct {
	full  chan []byte
	free  chan []byte
	done  chan struct{}
	cur   []byte
	chunk []byte
	err   error // set by the producer before full is closed
}

const (
	chunkSize  = 512 << 10
	chunkCount = 4
)

func newReadahead(src io.Reader, h hash.Hash) *readahead {
	ra := &readahead{full: make(chan []byte, chunkCount), free: make(chan []byte, chunkCount), done: make(chan struct{})}
	for i := 0; i < chunkCount; i++ {
		ra.free <- make([]byte, chunkSize)
	}
	go func() {
		defer close(ra.full)
		for {
			var b []byte
			select {
			case b = <-ra.free:
			case <-ra.done:
				return
			}
			n, err := io.ReadFull(src, b)
			if n > 0 {
				if h != nil {
					h.Write(b[:n])
				}
				select {
				case ra.full <- b[:n]:
				case <-ra.done:
					return
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return
			}
			if err != nil {
				ra.err = err
				return
			}
		}
	}()
	return ra
}

func (ra *readahead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.chunk != nil {
			ra.free <- ra.chunk[:cap(ra.chunk)]
			ra.chunk = nil
		}
		b, ok := <-ra.full
		if !ok {
			if ra.err != nil {
				return 0, ra.err
			}
			return 0, io.EOF
		}
		ra.chunk, ra.cur = b, b
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the producer and waits for it; ra.err may be read after it.
func (ra *readahead) Close() error {
	select {
	case <-ra.done:
		return nil
	default:
	}
	close(ra.done)
	for range ra.full {
	}
	return nil
}
