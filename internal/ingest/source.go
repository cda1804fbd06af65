package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compressions as reported in a summary.
const (
	compressionNone = "none"
	compressionGzip = "gzip"
	compressionZstd = "zstd"
)

var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n atomic.Int64 // read-ahead counts from its own goroutine
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// source is a delivered file's decompressed bytes, checked for encoding.
type source struct {
	raw         *countReader // the bytes as delivered
	text        *countReader // decompressed, byte-order mark stripped
	compression string
	empty       bool
	err         error // a *FileError found while opening
	closeDec    func()
	// seekable is the delivered reader when nothing wraps it (no
	// compression), for Parquet.
	seekable io.Reader
}

// sniffBytes is how much of a text file is checked for NUL bytes, which
// no text in our formats holds and binary files are full of.
const sniffBytes = 64 << 10

// newSource opens the decompression chosen by compression ("", "auto",
// "none", "gzip" or "zstd"), the name's extension and the magic bytes.
// File problems are left in s.err; only a bad configuration is an error.
func newSource(r io.Reader, name, compression string, text bool) (*source, error) {
	s := &source{raw: &countReader{r: r}, compression: compressionNone}
	br := bufio.NewReaderSize(s.raw, 64<<10)
	s.text = &countReader{r: br}
	magic, _ := br.Peek(4)
	lower := strings.ToLower(name)
	byName := ""
	switch {
	case strings.HasSuffix(lower, ".gz"), strings.HasSuffix(lower, ".gzip"):
		byName = compressionGzip
	case strings.HasSuffix(lower, ".zst"), strings.HasSuffix(lower, ".zstd"):
		byName = compressionZstd
	}
	byMagic := compressionNone
	switch {
	case bytes.HasPrefix(magic, magicGzip):
		byMagic = compressionGzip
	case bytes.HasPrefix(magic, magicZstd):
		byMagic = compressionZstd
	}
	switch compression {
	case "", "auto":
		s.compression = byMagic
		if byMagic == compressionNone && byName != "" && len(magic) > 0 {
			s.err = &FileError{File: name, Reason: fmt.Sprintf("name says %s but the content is not %s", byName, byName)}
			return s, nil
		}
	case "none":
	case compressionGzip, compressionZstd:
		s.compression = compression
		if byMagic != compression && len(magic) > 0 {
			s.err = &FileError{File: name, Reason: "not a " + compression + " stream"}
			return s, nil
		}
	default:
		return nil, fmt.Errorf("ingest: unknown compression %q", compression)
	}
	if len(magic) == 0 {
		s.empty = true
		s.text = &countReader{r: br}
		return s, nil
	}
	var dec io.Reader
	switch s.compression {
	case compressionGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			s.err = &FileError{File: name, Reason: decompressReason(compressionGzip, err)}
			return s, nil
		}
		zr.Multistream(false)
		dec = &gzipMembers{br: br, zr: zr, name: name}
		s.closeDec = func() { zr.Close() }
	case compressionZstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(256<<20))
		if err != nil {
			s.err = &FileError{File: name, Reason: decompressReason(compressionZstd, err)}
			return s, nil
		}
		dec = zr
		s.closeDec = zr.Close
	default:
		dec = br
		if br.Buffered() == 0 {
			s.seekable = r
		}
	}
	if dec != br {
		ra := newReadAhead(&decodeErrors{r: dec, name: name, kind: s.compression}, 1<<20, 8, s.closeDec)
		s.closeDec = ra.close
		dec = ra
	}
	// Peek past a byte-order mark and check for empty content.
	tb := bufio.NewReaderSize(dec, sniffBytes)
	head, err := tb.Peek(4)
	if len(head) == 0 {
		if err != nil && err != io.EOF {
			s.err = asFileError(name, err)
			return s, nil
		}
		s.empty = true
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xef, 0xbb, 0xbf}):
		tb.Discard(3)
		if rest, _ := tb.Peek(1); len(rest) == 0 {
			s.empty = true
		}
	case bytes.HasPrefix(head, []byte{0xff, 0xfe, 0, 0}):
		s.err = &FileError{File: name, Reason: "not UTF-8 (UTF-32LE byte-order mark)"}
	case bytes.HasPrefix(head, []byte{0, 0, 0xfe, 0xff}):
		s.err = &FileError{File: name, Reason: "not UTF-8 (UTF-32BE byte-order mark)"}
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		s.err = &FileError{File: name, Reason: "not UTF-8 (UTF-16LE byte-order mark)"}
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		s.err = &FileError{File: name, Reason: "not UTF-8 (UTF-16BE byte-order mark)"}
	}
	if text && s.err == nil && !s.empty {
		// Errors are kept by tb and met again when reading.
		head, _ := tb.Peek(sniffBytes)
		if i := bytes.IndexByte(head, 0); i >= 0 {
			s.err = &FileError{File: name, Reason: fmt.Sprintf("not a text file (NUL byte at offset %d)", i)}
		}
	}
	s.text = &countReader{r: tb}
	return s, nil
}

// Read reads decompressed bytes.
func (s *source) Read(p []byte) (int, error) { return s.text.Read(p) }

// gzipMembers reads the members of a gzip file one after another, as
// gzip -d does. What follows the last member decides how the file ends:
// nothing, or zero bytes (padding some tools add, which gzip ignores), is
// a clean end; anything else is a file error that says so, where the
// decoder alone would call it a bad header or a truncated stream.
type gzipMembers struct {
	br   *bufio.Reader
	zr   *gzip.Reader
	name string
	done bool
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for !g.done {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		if err := g.next(); err != nil {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, io.EOF
}

// next starts the member after the one that ended, or ends the stream.
func (g *gzipMembers) next() error {
	head, err := g.br.Peek(len(magicGzip))
	switch {
	case len(head) == 0 && err == io.EOF:
		g.done = true
		return nil
	case bytes.Equal(head, magicGzip):
		if err := g.zr.Reset(g.br); err != nil {
			return err
		}
		g.zr.Multistream(false)
		return nil
	}
	for {
		b, err := g.br.ReadByte()
		if err == io.EOF {
			g.done = true
			return nil
		}
		if err != nil {
			return err
		}
		if b != 0 {
			return &FileError{File: g.name, Reason: "data after the end of the gzip stream (not another gzip member)"}
		}
	}
}

func (s *source) close() error {
	if s.closeDec != nil {
		s.closeDec()
		s.closeDec = nil
	}
	return nil
}

// decodeErrors turns decompression errors into file errors.
type decodeErrors struct {
	r    io.Reader
	name string
	kind string
}

func (d *decodeErrors) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = &FileError{File: d.name, Reason: decompressReason(d.kind, err)}
	}
	return n, err
}

func decompressReason(kind string, err error) string {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "truncated " + kind + " stream"
	}
	return "corrupt " + kind + " stream: " + err.Error()
}

// asFileError wraps a read error as a file error.
func asFileError(name string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	return &FileError{File: name, Reason: "read: " + err.Error()}
}
