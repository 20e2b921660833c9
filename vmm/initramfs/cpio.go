// Package initramfs builds the initramfs that runs a container image under a guest kernel:
// a cpio "newc" archive (our own writer) of the image's root filesystem, plus minictr's small
// static init (vmm/initramfs/init) as /init and the command to run. It also boots such an
// initramfs under qemu (RunQEMU) and reads the command's exit status back from the console.
package initramfs

import (
	"fmt"
	"io"
	"strings"
)

// The newc format (the kernel's Documentation/driver-api/early-userspace/buffer-format.rst):
// each entry is a 110-byte ASCII header, the NUL-terminated name padded to a multiple of 4
// bytes (counting the header), then the data padded to a multiple of 4. The archive ends with
// an entry named "TRAILER!!!".
//
//	"070701" ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
//	          each field 8 hex digits; check is 0 for newc
const (
	newcMagic   = "070701"
	newcHeader  = 110
	trailerName = "TRAILER!!!"
)

// File mode type bits (the kernel's S_IF* values, as cpio stores them).
const (
	ModeDir     = 0o040000
	ModeRegular = 0o100000
	ModeSymlink = 0o120000
	ModeChar    = 0o020000
	ModeBlock   = 0o060000
	ModeFIFO    = 0o010000
)

// Writer writes a newc archive.
type Writer struct {
	w   io.Writer
	ino uint32
	n   int64 // bytes written, for padding
	err error
}

// NewWriter starts an archive on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, ino: 1} }

// Header describes one entry.
type Header struct {
	Name      string // path inside the archive, without a leading "/"
	Mode      uint32 // type bits | permission bits
	UID, GID  uint32
	Mtime     uint32
	RdevMajor uint32 // device nodes
	RdevMinor uint32
}

// WriteEntry writes a header and its data (file contents, or the target of a symlink).
func (w *Writer) WriteEntry(h Header, data []byte) error {
	if w.err != nil {
		return w.err
	}
	if len(h.Name) == 0 || len(h.Name) > 4095 || strings.IndexByte(h.Name, 0) >= 0 {
		return fmt.Errorf("cpio entry %q: name empty, longer than 4095 bytes or with a NUL", h.Name)
	}
	if uint64(len(data)) > 0xffffffff {
		return fmt.Errorf("cpio entry %q: %d bytes is more than newc can record", h.Name, len(data))
	}
	nlink := 1
	if h.Mode&0o170000 == ModeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		newcMagic, w.ino, h.Mode, h.UID, h.GID, nlink, h.Mtime, len(data),
		0, 0, h.RdevMajor, h.RdevMinor, len(h.Name)+1, 0)
	w.ino++
	w.write([]byte(hdr))
	w.write([]byte(h.Name))
	w.write([]byte{0})
	w.pad()
	w.write(data)
	w.pad()
	return w.err
}

// Close writes the trailer (it does not close the underlying writer).
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	w.ino = 0
	return w.WriteEntry(Header{Name: trailerName}, nil)
}

func (w *Writer) write(b []byte) {
	if w.err != nil || len(b) == 0 {
		return
	}
	n, err := w.w.Write(b)
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("write cpio archive: %w", err)
	}
}

func (w *Writer) pad() {
	if r := w.n % 4; r != 0 {
		w.write(make([]byte, 4-r))
	}
}
