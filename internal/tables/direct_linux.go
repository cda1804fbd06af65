package tables

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directAlign is the alignment of O_DIRECT writes: buffer address, length
// and file offset. 4096 covers disks of 512-byte and 4 KiB sectors.
const directAlign = 4096

// directWriter writes a data file with O_DIRECT, in whole aligned blocks,
// straight from its buffer to the disk. A data file is written once,
// fsynced and read later by other processes; through the page cache every
// byte of it costs the kernel a page to allocate and dirty and a copy,
// which on this product's one-machine setup is a tenth or more of an
// ingestion's CPU, and the fsync then waits for the writeback. The bytes
// short of a whole block at the end are written through the page cache by
// finish. No Go library does this; it is a few syscalls.
type directWriter struct {
	f   *os.File
	buf []byte // directAlign-aligned, a multiple of it long
	n   int    // bytes buffered
	off int64  // bytes written to the file
	// buffered is set once O_DIRECT is off: for the tail, or for good when
	// the file system refused a direct write.
	buffered bool
}

// newDirectWriter switches f, empty and open for writing, to O_DIRECT.
// It returns nil where the file system refuses O_DIRECT (tmpfs, say):
// callers then write through the page cache.
func newDirectWriter(f *os.File, size int) *directWriter {
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		return nil
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFL, fl|unix.O_DIRECT); err != nil {
		return nil
	}
	raw := make([]byte, size+directAlign)
	skip := int(-uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1))
	return &directWriter{f: f, buf: raw[skip : skip+size]}
}

func (d *directWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		c := copy(d.buf[d.n:], p)
		d.n += c
		p = p[c:]
		if d.n == len(d.buf) {
			if err := d.Flush(); err != nil {
				return total - len(p), err
			}
		}
	}
	return total, nil
}

func (d *directWriter) WriteString(s string) (int, error) {
	return d.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Flush writes the whole blocks buffered and keeps the rest, moved to the
// buffer's start, for the next block or finish.
func (d *directWriter) Flush() error {
	whole := d.n &^ (directAlign - 1)
	if whole == 0 {
		return nil
	}
	if err := d.write(d.buf[:whole]); err != nil {
		return err
	}
	d.n = copy(d.buf, d.buf[whole:d.n])
	return nil
}

func (d *directWriter) write(b []byte) error {
	for len(b) > 0 {
		n, err := d.f.WriteAt(b, d.off)
		d.off += int64(n)
		b = b[n:]
		switch {
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EINVAL) && !d.buffered:
			// The file system took O_DIRECT but not these writes (a
			// larger sector, say): go on through the page cache.
			if err := d.bufferedIO(); err != nil {
				return err
			}
		case err != nil:
			return err
		}
	}
	return nil
}

// bufferedIO turns O_DIRECT off.
func (d *directWriter) bufferedIO() error {
	fl, err := unix.FcntlInt(d.f.Fd(), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(d.f.Fd(), unix.F_SETFL, fl&^unix.O_DIRECT)
	}
	d.buffered = err == nil
	return err
}

// finish writes the buffered tail, less than a block, through the page
// cache (O_DIRECT off), so the file ends where its data does. The caller
// syncs the file.
func (d *directWriter) finish() error {
	if err := d.Flush(); err != nil {
		return err
	}
	if !d.buffered {
		if err := d.bufferedIO(); err != nil {
			return err
		}
	}
	err := d.write(d.buf[:d.n])
	d.n = 0
	return err
}
