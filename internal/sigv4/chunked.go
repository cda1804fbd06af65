package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Limits of the aws-chunked decoder: no line may exceed maxChunkLine bytes
// (the read buffer), the trailer section is at most maxTrailerBytes, and at
// most maxTrailingJunk bytes of CR/LF may follow it.
const (
	maxChunkLine    = 4096
	maxTrailerBytes = 16 << 10
	maxTrailingJunk = 64
	maxChunkDigits  = 15 // chunk sizes below 2^60
)

const (
	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"
	trailerSigName   = "x-amz-trailer-signature"
)

// chunkedOptions configures a chunkedReader.
type chunkedOptions struct {
	signed        bool // chunks carry chunk-signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD*)
	trailer       bool // a trailer section may follow the final chunk
	key           [32]byte
	amzDate       string
	scope         string
	seed          [32]byte // the request signature: the first chunk's "previous" one
	declared      []string // x-amz-trailer names, lower-case
	decodedLength int64    // x-amz-decoded-content-length, -1 if not sent
	auth          *Auth    // receives Trailers at EOF; may be nil
}

type chunkState uint8

const (
	stateHeader chunkState = iota // next is a chunk-size line
	stateData                     // inside a chunk's data
)

// chunkedReader decodes an aws-chunked body:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n
//	[trailer-name:value\r\n ...] [x-amz-trailer-signature:sig\r\n] \r\n
//
// Data is streamed; a chunk's signature is checked at its end, before the
// next chunk is read, so every bad signature is an error before io.EOF.
type chunkedReader struct {
	opt   chunkedOptions
	src   *bufio.Reader
	body  io.Closer
	state chunkState
	left  int64 // data bytes left in the current chunk
	total int64 // data bytes returned
	prev  [32]byte
	want  [32]byte // the current chunk's signature
	h     hash.Hash
	buf   []byte // string-to-sign scratch
	err   error  // sticky: io.EOF once done
}

func newChunkedReader(body io.ReadCloser, opt chunkedOptions) *chunkedReader {
	c := &chunkedReader{
		opt:  opt,
		src:  bufio.NewReaderSize(body, maxChunkLine),
		body: body,
		prev: opt.seed,
	}
	if opt.signed {
		c.h = sha256.New()
	}
	return c
}

func (c *chunkedReader) Close() error { return c.body.Close() }

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		if c.state == stateHeader {
			c.err = c.readChunkHeader()
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		if int64(len(p)) > c.left {
			p = p[:c.left]
		}
		n, err := c.src.Read(p)
		c.left -= int64(n)
		c.total += int64(n)
		if c.h != nil {
			c.h.Write(p[:n])
		}
		if c.left == 0 {
			c.err = c.endChunk()
			c.state = stateHeader
		} else if err != nil {
			c.err = bodyError(err)
		}
		if n > 0 {
			return n, c.err
		}
	}
	return 0, c.err
}

// bodyError turns an early end of the underlying body into IncompleteBody
// and passes other errors through.
func bodyError(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return incompleteBody()
	}
	return err
}

// readLine returns the next line without its CRLF (a bare LF is accepted).
// The slice is valid until the next read. At the very end of the body it
// returns io.EOF; a line cut short is IncompleteBody.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.src.ReadSlice('\n')
	if err != nil {
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, chunkedMalformed("line too long")
		case err == io.EOF && len(line) == 0:
			return nil, io.EOF
		}
		return nil, bodyError(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readChunkHeader reads a chunk-size line; after the final (empty) chunk it
// reads the trailer section and returns io.EOF when the body is complete.
func (c *chunkedReader) readChunkHeader() error {
	line, err := c.readLine()
	if err != nil {
		return bodyError(err)
	}
	sizeText, ext, hasExt := bytes.Cut(line, []byte{';'})
	size, ok := parseChunkSize(bytes.TrimRight(sizeText, " \t"))
	if !ok {
		return chunkedMalformed("invalid chunk size")
	}
	if c.opt.signed {
		name, sig, _ := bytes.Cut(ext, []byte{'='})
		if !hasExt || string(bytes.TrimSpace(name)) != "chunk-signature" {
			return chunkedMalformed("chunk-signature missing")
		}
		if c.want, ok = parseSignature(string(bytes.TrimSpace(sig))); !ok {
			return chunkedMalformed("chunk-signature must be 64 hexadecimal digits")
		}
	}
	if n := c.opt.decodedLength; n >= 0 && size > n-c.total {
		return invalidRequest("The decoded content is longer than x-amz-decoded-content-length.")
	}
	if size == 0 {
		return c.finish()
	}
	c.left = size
	c.state = stateData
	if c.h != nil {
		c.h.Reset()
	}
	return nil
}

func parseChunkSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > maxChunkDigits {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		d, ok := unhex(ch)
		if !ok {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

// endChunk reads the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	line, err := c.readLine()
	if err != nil {
		return bodyError(err)
	}
	if len(line) != 0 {
		return chunkedMalformed("chunk data longer than its size")
	}
	return c.checkChunk()
}

// checkChunk verifies the current chunk's signature, whose string to sign
// is AWS4-HMAC-SHA256-PAYLOAD, date, scope, previous signature, the hash of
// the empty string and the hash of the chunk data.
func (c *chunkedReader) checkChunk() error {
	if !c.opt.signed {
		return nil
	}
	var sum [32]byte
	c.h.Sum(sum[:0])
	t := c.stringToSignPrefix(chunkAlgorithm)
	t = append(t, emptySHA256+"\n"...)
	t = hex.AppendEncode(t, sum[:])
	if !c.signatureIs(t, &c.want) {
		return chunkSignatureMismatch()
	}
	c.prev = c.want
	return nil
}

// stringToSignPrefix starts a chunk or trailer string to sign (after the
// 64 bytes hmacPadded needs): algorithm, date, scope, previous signature.
func (c *chunkedReader) stringToSignPrefix(alg string) []byte {
	t := slices.Grow(c.buf[:0], 64+len(alg)+len(c.opt.amzDate)+len(c.opt.scope)+3*66)[:64]
	t = append(t, alg...)
	t = append(t, '\n')
	t = append(t, c.opt.amzDate...)
	t = append(t, '\n')
	t = append(t, c.opt.scope...)
	t = append(t, '\n')
	t = hex.AppendEncode(t, c.prev[:])
	return append(t, '\n')
}

func (c *chunkedReader) signatureIs(t []byte, want *[32]byte) bool {
	c.buf = t
	got := hmacPadded(&c.opt.key, t)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// finish handles the end of the body after the final chunk: its
// signature, the trailers and their signature, the declared length.
func (c *chunkedReader) finish() error {
	if c.h != nil {
		c.h.Reset()
	}
	if err := c.checkChunk(); err != nil {
		return err
	}
	trailers, sig, err := c.readTrailers()
	if err != nil {
		return err
	}
	if err := c.checkTrailers(trailers, sig); err != nil {
		return err
	}
	if n := c.opt.decodedLength; n >= 0 && c.total != n {
		e := incompleteBody()
		e.Message = "You did not provide the number of bytes specified by the " +
			"x-amz-decoded-content-length header"
		return e
	}
	if err := c.drain(); err != nil {
		return err
	}
	if c.opt.auth != nil && len(trailers) > 0 {
		h := make(http.Header, len(trailers))
		for _, t := range trailers {
			h.Set(t[0], t[1])
		}
		c.opt.auth.Trailers = h
	}
	return io.EOF
}

// readTrailers reads "name:value" lines up to the empty line (or the end
// of the body). Names are lower-cased and values trimmed; the
// x-amz-trailer-signature line is returned apart.
func (c *chunkedReader) readTrailers() (trailers [][2]string, sig string, err error) {
	size := 0
	for {
		line, err := c.readLine()
		if err == io.EOF && size == 0 {
			// The body ended right after the final chunk: no trailers and
			// no closing CRLF; accepted.
			return nil, "", nil
		}
		if err != nil {
			return nil, "", bodyError(err)
		}
		if len(line) == 0 {
			return trailers, sig, nil
		}
		if size += len(line) + 2; size > maxTrailerBytes {
			return nil, "", malformedTrailer()
		}
		name, value, ok := strings.Cut(string(line), ":")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, "", malformedTrailer()
		}
		if name == trailerSigName && c.opt.signed {
			if sig != "" {
				return nil, "", malformedTrailer()
			}
			sig = value
			continue
		}
		for _, t := range trailers {
			if t[0] == name {
				return nil, "", malformedTrailer()
			}
		}
		trailers = append(trailers, [2]string{name, value})
	}
}

// checkTrailers matches the trailers with x-amz-trailer and, for signed
// trailers, checks their signature (over "name:value\n" lines).
func (c *chunkedReader) checkTrailers(trailers [][2]string, sig string) error {
	if (len(trailers) > 0 || sig != "") && !c.opt.trailer {
		return malformedTrailer()
	}
	for _, t := range trailers {
		if !slices.Contains(c.opt.declared, t[0]) {
			return malformedTrailer()
		}
	}
	for _, d := range c.opt.declared {
		if !slices.ContainsFunc(trailers, func(t [2]string) bool { return t[0] == d }) {
			return malformedTrailer()
		}
	}
	if !c.opt.signed || !c.opt.trailer || sig == "" && len(trailers) == 0 {
		return nil
	}
	want, ok := parseSignature(sig)
	if !ok {
		return malformedTrailer()
	}
	h := sha256.New()
	for _, t := range trailers {
		h.Write([]byte(t[0] + ":" + t[1] + "\n"))
	}
	var sum [32]byte
	h.Sum(sum[:0])
	t := c.stringToSignPrefix(trailerAlgorithm)
	t = hex.AppendEncode(t, sum[:])
	if !c.signatureIs(t, &want) {
		return chunkSignatureMismatch()
	}
	return nil
}

// drain reads what follows the trailer section: at most a few stray CR/LF
// bytes are tolerated.
func (c *chunkedReader) drain() error {
	var b [maxTrailingJunk + 1]byte
	n, err := io.ReadFull(c.src, b[:])
	if err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if n > maxTrailingJunk || len(bytes.Trim(b[:n], "\r\n")) > 0 {
		return chunkedMalformed("data after the end of the body")
	}
	return nil
}
