package tables

import (
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing [off, off+n) of f to
// disk now, without waiting. The final fsync then finds little left to
// do, and dirty pages do not pile up until the writer is throttled.
func startWriteback(f io.Writer, off, n int64) {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		// Advisory: an error only means the fsync at the end does it all.
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
