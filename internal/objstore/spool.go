package objstore

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"inlet/internal/checksum"
	"inlet/internal/durable"
	"inlet/internal/meta"
)

// ErrBodyTooLong is returned when a body holds more bytes than the size
// declared in [PutOptions.Size]; nothing is stored.
var ErrBodyTooLong = errors.New("objstore: body longer than declared size")

const (
	// DefaultInlineMax is the largest body kept inline in the index rather
	// than in a file of its own.
	DefaultInlineMax = 64 << 10

	chunkSize  = 1 << 20 // bytes read, written and hashed at a time
	pipeChunks = 4       // chunks in flight per large body

	// writebackEvery is how many bytes of a large body are written before
	// their writeback to disk is started.
	writebackEvery = 8 << 20
)

// spooled is a body received by spool and not yet committed: either its
// bytes (small bodies) or the id of the durable file holding them.
type spooled struct {
	digests Digests
	inline  []byte
	fileID  string
}

// discard removes the file of a write that failed with err. After a
// failed COMMIT the index may yet turn out to reference the file (see
// meta.ErrCommitFailed), so it stays for the sweep at the next Open.
func (s *Store) discard(sp spooled, err error) {
	if sp.fileID != "" && !errors.Is(err, meta.ErrCommitFailed) {
		s.removeFiles([]string{sp.fileID})
	}
}

// spool reads body to its end, computing the MD5 and the checksum alg (if
// any) on the way. A body of at most s.inlineMax bytes is returned in
// memory when inlineOK; a larger one is written to a temporary file that
// is fsynced and renamed to its final name, its directory fsynced, so that
// only the index commit remains. On error nothing is left behind.
func (s *Store) spool(ctx context.Context, body io.Reader, size int64, alg checksum.Algorithm,
	inlineOK bool,
) (spooled, error) {
	if alg != "" && alg.New() == nil {
		return spooled{}, fmt.Errorf("objstore: %w: %q", checksum.ErrUnknownAlgorithm, alg)
	}
	if size >= 0 {
		body = &sizedReader{r: body, left: size}
	}
	if err := ctx.Err(); err != nil {
		return spooled{}, err
	}

	var head []byte
	if inlineOK && (size < 0 || size <= int64(s.inlineMax)) {
		bp := s.smallBufs.Get().(*[]byte)
		defer s.smallBufs.Put(bp)
		buf := (*bp)[:s.inlineMax+1]
		n, err := fill(body, buf)
		switch {
		case err == io.EOF:
			data := make([]byte, n)
			copy(data, buf)
			return spooled{digests: digestOf(data, alg), inline: data}, nil
		case err != nil:
			return spooled{}, err
		}
		head = buf[:n] // too large for inline: it goes first into the file
	}

	id, d, err := s.spoolFile(ctx, body, head, alg)
	if err != nil {
		return spooled{}, err
	}
	return spooled{digests: d, fileID: id}, nil
}

func digestOf(data []byte, alg checksum.Algorithm) Digests {
	d := Digests{MD5: md5.Sum(data), Size: int64(len(data))}
	if alg != "" {
		d.Checksum = checksum.Of(alg, data)
	}
	return d
}

// spoolFile streams head and then body into a new durable file. Reading and
// writing happen here while the hashes are computed by goroutines on the
// chunks already written, so MD5 overlaps the disk write.
func (s *Store) spoolFile(ctx context.Context, body io.Reader, head []byte, alg checksum.Algorithm) (
	id string, d Digests, err error,
) {
	f := s.takeSpare()
	recycled := f != nil
	if !recycled {
		if f, err = os.CreateTemp(s.tmpDir, "body-"); err != nil {
			return "", d, fmt.Errorf("create temporary file: %w", err)
		}
	}
	tmpName := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmpName)
		}
	}()

	p := s.newHashPipe(alg)
	defer p.stop()
	var written, flushed int64
	if len(head) > 0 {
		if _, err := f.Write(head); err != nil {
			return "", d, fmt.Errorf("write body: %w", err)
		}
		written += int64(len(head))
		p.send(head)
	}
	for {
		if err := ctx.Err(); err != nil {
			return "", d, err
		}
		c := <-p.free
		n, rerr := fill(body, c.buf)
		c.n = n
		if n > 0 {
			if _, err := f.Write(c.buf[:n]); err != nil {
				p.free <- c
				return "", d, fmt.Errorf("write body: %w", err)
			}
			p.dispatch(c)
			if written += int64(n); written-flushed >= writebackEvery {
				durable.StartWriteback(f, flushed, written-flushed)
				flushed = written
			}
		} else {
			p.free <- c
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", d, rerr
		}
	}
	d = p.finish()

	if recycled {
		// Drop what is left of the spare's previous contents.
		if err := f.Truncate(written); err != nil {
			return "", d, fmt.Errorf("truncate body: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return "", d, fmt.Errorf("sync body: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", d, fmt.Errorf("close body: %w", err)
	}
	id = newFileID()
	dir, err := s.fileDir(id)
	if err != nil {
		return "", d, err
	}
	if err := os.Rename(tmpName, filepath.Join(dir, id)); err != nil {
		return "", d, fmt.Errorf("rename body: %w", err)
	}
	if err := durable.SyncDir(dir); err != nil {
		os.Remove(filepath.Join(dir, id))
		return "", d, err
	}
	return id, d, nil
}

// chunk is a buffer on its way through a hashPipe.
type chunk struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

// hashPipe hashes a stream of chunks with one goroutine per hash, so that
// MD5 (the slowest part of a large write) runs beside the reading and
// writing. A chunk goes back to free once every hash has consumed it.
type hashPipe struct {
	s      *Store
	chunks []*chunk
	free   chan *chunk
	hashes []hash.Hash
	in     []chan *chunk
	wg     sync.WaitGroup
	alg    checksum.Algorithm
	size   int64
	done   bool
}

func (s *Store) newHashPipe(alg checksum.Algorithm) *hashPipe {
	p := &hashPipe{s: s, free: make(chan *chunk, pipeChunks), alg: alg}
	p.hashes = append(p.hashes, md5.New())
	if alg != "" {
		p.hashes = append(p.hashes, alg.New())
	}
	for range pipeChunks {
		c := s.chunks.Get().(*chunk)
		p.chunks = append(p.chunks, c)
		p.free <- c
	}
	for _, h := range p.hashes {
		in := make(chan *chunk, pipeChunks)
		p.in = append(p.in, in)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for c := range in {
				h.Write(c.buf[:c.n])
				if c.refs.Add(-1) == 0 {
					p.free <- c
				}
			}
		}()
	}
	return p
}

// send hashes b, which the caller may reuse afterwards.
func (p *hashPipe) send(b []byte) {
	for len(b) > 0 {
		c := <-p.free
		c.n = copy(c.buf, b)
		b = b[c.n:]
		p.dispatch(c)
	}
}

func (p *hashPipe) dispatch(c *chunk) {
	p.size += int64(c.n)
	c.refs.Store(int32(len(p.in)))
	for _, in := range p.in {
		in <- c
	}
}

// finish waits for the hashes and returns the digests.
func (p *hashPipe) finish() Digests {
	p.stop()
	var d Digests
	copy(d.MD5[:], p.hashes[0].Sum(nil))
	if p.alg != "" {
		d.Checksum = checksum.Sum(p.alg, p.hashes[1])
	}
	d.Size = p.size
	return d
}

// stop ends the hash goroutines and returns the chunks to the store's pool.
func (p *hashPipe) stop() {
	if p.done {
		return
	}
	p.done = true
	for _, in := range p.in {
		close(in)
	}
	p.wg.Wait()
	for _, c := range p.chunks {
		p.s.chunks.Put(c)
	}
}

// fill reads from r until buf is full or r ends. Unlike io.ReadFull it
// returns io.EOF whenever r ended, with n possibly > 0, and passes any other
// error on as is: a body cut short (io.ErrUnexpectedEOF from net/http) is a
// failure, not an end.
func fill(r io.Reader, buf []byte) (n int, err error) {
	for empty := 0; n < len(buf); {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			if empty++; empty >= 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// sizedReader yields exactly left bytes of r: ErrIncompleteBody if r ends
// early, ErrBodyTooLong if r has more.
type sizedReader struct {
	r    io.Reader
	left int64
}

func (z *sizedReader) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, z.probeEnd()
	}
	if int64(len(p)) > z.left {
		p = p[:z.left]
	}
	n, err := z.r.Read(p)
	z.left -= int64(n)
	switch {
	case z.left > 0 && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)):
		return n, ErrIncompleteBody
	case err == io.EOF:
		return n, nil // the next Read checks that nothing follows
	}
	return n, err
}

// probeEnd checks that r has nothing past the declared size.
func (z *sizedReader) probeEnd() error {
	var b [1]byte
	for range 100 {
		n, err := z.r.Read(b[:])
		if n > 0 {
			return ErrBodyTooLong
		}
		if err != nil {
			return err // io.EOF: exactly the declared size
		}
	}
	return io.ErrNoProgress
}
