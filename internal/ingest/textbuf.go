package ingest

import "io"

// textBuf is a window on a decompressed text stream: buf[pos:end] is read
// and not yet consumed. It grows up to maxBuf to hold one record.
type textBuf struct {
	src      io.Reader
	buf      []byte
	pos, end int
	eof      bool
	maxBuf   int
	name     string // for errors
}

func newTextBuf(name string, src io.Reader, size, maxBuf int) textBuf {
	return textBuf{name: name, src: src, buf: make([]byte, size), maxBuf: max(size, maxBuf)}
}

// fill reads more data, moving what is unread to the front of the buffer
// and growing it up to maxBuf. It does nothing at EOF or when the buffer
// is full at its largest.
func (t *textBuf) fill() error {
	if t.eof {
		return nil
	}
	if t.pos > 0 {
		copy(t.buf, t.buf[t.pos:t.end])
		t.end -= t.pos
		t.pos = 0
	}
	if t.end == len(t.buf) {
		if len(t.buf) >= t.maxBuf {
			return nil
		}
		nb := make([]byte, min(2*len(t.buf), t.maxBuf))
		copy(nb, t.buf[:t.end])
		t.buf = nb
	}
	for range 100 {
		n, err := t.src.Read(t.buf[t.end:])
		t.end += n
		if err == io.EOF {
			t.eof = true
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}
