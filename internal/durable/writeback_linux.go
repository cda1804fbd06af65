package durable

import (
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// StartWriteback asks the kernel to start writing [off, off+n) of f (a
// file, or anything with a file descriptor) to disk now, without waiting.
// The fsync that ends the write then finds little left to do, the disk
// works while the data still arrives, and dirty pages do not pile up
// until the writer is throttled. Advisory: an error only leaves it all
// to that fsync, which decides durability.
func StartWriteback(f io.Writer, off, n int64) {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
