package ingest

import (
	"io"
	"sync"
)

// readAhead runs a decompressor in its own goroutine, a few chunks ahead
// of the parser, so that on a machine with a second core decompression
// and parsing overlap instead of adding up. The goroutine owns the
// decompressor and calls release when it stops.
type readAhead struct {
	full    chan chunk
	free    chan []byte
	done    chan struct{}
	stop    sync.Once
	cur     []byte
	held    []byte // the chunk cur points into
	err     error
	release func()
}

type chunk struct {
	b   []byte
	err error
}

func newReadAhead(r io.Reader, size, n int, release func()) *readAhead {
	ra := &readAhead{
		full:    make(chan chunk, n),
		free:    make(chan []byte, n),
		done:    make(chan struct{}),
		release: release,
	}
	for range n {
		ra.free <- make([]byte, size)
	}
	go ra.run(r)
	return ra
}

func (ra *readAhead) run(r io.Reader) {
	defer func() {
		if ra.release != nil {
			ra.release()
		}
	}()
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.done:
			return
		}
		n, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF {
			// A short last chunk; a truncated stream is a *FileError.
			err = io.EOF
		}
		select {
		case ra.full <- chunk{buf[:n], err}:
		case <-ra.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read copies out decompressed bytes.
func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.held != nil {
			ra.free <- ra.held[:cap(ra.held)]
			ra.held = nil
		}
		c := <-ra.full
		ra.cur, ra.held, ra.err = c.b, c.b, c.err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// close stops the goroutine; it returns at once.
func (ra *readAhead) close() {
	ra.stop.Do(func() { close(ra.done) })
}
