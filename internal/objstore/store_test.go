package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"inlet/internal/checksum"
	"inlet/internal/meta"
)

const testBucket = "partner-bucket"

// newTestStore opens a store with one bucket in a fresh directory.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	dir := t.TempDir()
	s := openTestStore(t, dir)
	if err := s.CreateBucket(context.Background(), Bucket{Name: testBucket, Owner: "111111111111"}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return s
}

// openTestStore opens the store (and its database) in dir.
func openTestStore(t testing.TB, dir string) *Store {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		t.Fatalf("meta.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(ctx, filepath.Join(dir, "data"), db, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func putOpts(key string) PutOptions {
	return PutOptions{Meta: ObjectMeta{Bucket: testBucket, Key: key, Owner: "111111111111"}, Size: -1}
}

func mustPut(t testing.TB, s *Store, key string, body []byte) ObjectMeta {
	t.Helper()
	m, err := s.PutObject(context.Background(), bytes.NewReader(body), putOpts(key))
	if err != nil {
		t.Fatalf("PutObject(%q): %v", key, err)
	}
	return m
}

func mustGet(t testing.TB, s *Store, key string, offset, length int64) []byte {
	t.Helper()
	_, r, err := s.GetObject(context.Background(), testBucket, key, offset, length)
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

// pattern returns n bytes that differ by seed and position.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// objectFiles lists the files under objects/.
func objectFiles(t testing.TB, s *Store) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(s.objDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tmpFiles(t testing.TB, s *Store) []os.DirEntry {
	t.Helper()
	e, err := os.ReadDir(s.tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBuckets(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	ctx := context.Background()

	tests := []struct {
		name string
		b    Bucket
		want error
	}{
		{"create", Bucket{Name: "b1", Owner: "A", Region: "us-east-1"}, nil},
		{"create other", Bucket{Name: "a0", Owner: "B"}, nil},
		{"same owner again", Bucket{Name: "b1", Owner: "A"}, ErrBucketOwnedByYou},
		{"other owner", Bucket{Name: "b1", Owner: "B"}, ErrBucketExists},
		{"third", Bucket{Name: "c2", Owner: "A"}, nil},
	}
	for _, tt := range tests {
		if err := s.CreateBucket(ctx, tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: CreateBucket(%+v) = %v; want %v", tt.name, tt.b, err, tt.want)
		}
	}

	b, err := s.GetBucket(ctx, "b1")
	if err != nil || b.Owner != "A" || b.Region != "us-east-1" || b.CreatedAt.IsZero() {
		t.Errorf("GetBucket(b1) = %+v, %v", b, err)
	}
	if _, err := s.GetBucket(ctx, "nope"); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("GetBucket(nope) = %v; want ErrNoSuchBucket", err)
	}

	names := func(bs []Bucket) string {
		var n []string
		for _, b := range bs {
			n = append(n, b.Name)
		}
		return strings.Join(n, ",")
	}
	for owner, want := range map[string]string{"": "a0,b1,c2", "A": "b1,c2", "B": "a0", "C": ""} {
		got, err := s.ListBuckets(ctx, owner)
		if err != nil || names(got) != want {
			t.Errorf("ListBuckets(%q) = %s, %v; want %s", owner, names(got), err, want)
		}
	}

	// Not empty while it holds an object; in-progress uploads are aborted.
	_, err = s.PutObject(ctx, strings.NewReader("x"), PutOptions{Meta: ObjectMeta{Bucket: "b1", Key: "k"}, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUpload(ctx, Upload{Bucket: "b1", Key: "up"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPart(ctx, "b1", "up", u.UploadID, 1, strings.NewReader("part"), PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "b1"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket(with object) = %v; want ErrBucketNotEmpty", err)
	}
	if err := s.DeleteObject(ctx, "b1", "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "b1"); err != nil {
		t.Errorf("DeleteBucket(with upload only) = %v; want nil", err)
	}
	if got := objectFiles(t, s); len(got) != 0 {
		t.Errorf("files left after DeleteBucket: %v", got)
	}
	if _, err := s.GetBucket(ctx, "b1"); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("GetBucket after delete = %v", err)
	}
	if err := s.DeleteBucket(ctx, "b1"); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("DeleteBucket(missing) = %v; want ErrNoSuchBucket", err)
	}
	_, err = s.PutObject(ctx, strings.NewReader("x"), PutOptions{Meta: ObjectMeta{Bucket: "b1", Key: "k"}, Size: 1})
	if !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("PutObject into deleted bucket = %v; want ErrNoSuchBucket", err)
	}
}

func TestPutGetSizes(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		size   int
		inline bool
	}{
		{"empty", 0, true},
		{"one byte", 1, true},
		{"4 KiB", 4 << 10, true},
		{"inline max", DefaultInlineMax, true},
		{"inline max + 1", DefaultInlineMax + 1, false},
		{"1 MiB + 3", 1<<20 + 3, false},
		{"3.5 chunks", chunkSize*3 + chunkSize/2, false},
	}
	for i, tt := range tests {
		for _, known := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/size known %v", tt.name, known), func(t *testing.T) {
				body := pattern(tt.size, byte(i))
				key := fmt.Sprintf("obj/%d/%v", i, known)
				opts := putOpts(key)
				opts.Meta.ContentType = "text/csv"
				opts.Meta.UserMeta = map[string]string{"a": "1"}
				opts.ChecksumAlgorithm = checksum.CRC32C
				if known {
					opts.Size = int64(tt.size)
				}
				before := len(objectFiles(t, s))
				m, err := s.PutObject(ctx, bytes.NewReader(body), opts)
				if err != nil {
					t.Fatalf("PutObject: %v", err)
				}
				if m.ETag != md5hex(body) || m.Size != int64(tt.size) {
					t.Errorf("PutObject = ETag %s size %d; want %s %d", m.ETag, m.Size, md5hex(body), tt.size)
				}
				if want := checksum.Of(checksum.CRC32C, body); m.Checksum != want {
					t.Errorf("Checksum = %v; want %v", m.Checksum, want)
				}
				if files := len(objectFiles(t, s)) - before; files != map[bool]int{true: 0, false: 1}[tt.inline] {
					t.Errorf("PutObject added %d files; inline %v", files, tt.inline)
				}

				h, err := s.HeadObject(ctx, testBucket, key)
				if err != nil {
					t.Fatal(err)
				}
				if h.ETag != m.ETag || h.Size != m.Size || !h.LastModified.Equal(m.LastModified) ||
					h.ContentType != "text/csv" || h.UserMeta["a"] != "1" || h.Checksum != m.Checksum ||
					h.Owner != "111111111111" {
					t.Errorf("HeadObject = %+v; want %+v", h, m)
				}
				if got := mustGet(t, s, key, 0, -1); !bytes.Equal(got, body) {
					t.Errorf("GetObject returned %d bytes, md5 %s; want %d, %s", len(got), md5hex(got), len(body), md5hex(body))
				}
			})
		}
	}
	if e := tmpFiles(t, s); len(e) != 0 {
		t.Errorf("tmp not empty: %v", e)
	}
}

func TestGetRange(t *testing.T) {
	s := newTestStore(t)
	small := pattern(1000, 1)
	large := pattern(3*chunkSize+17, 2)
	mustPut(t, s, "small", small)
	mustPut(t, s, "large", large)

	tests := []struct {
		name           string
		offset, length int64
	}{
		{"all", 0, -1},
		{"head", 0, 10},
		{"middle", 100, 200},
		{"to end", 500, -1},
		{"past end length", 990, 100},
		{"offset at end", 1000, -1},
		{"offset past end", 5000, 10},
		{"zero length", 10, 0},
		{"across chunks", chunkSize - 5, chunkSize + 10},
		{"last byte", int64(len(large)) - 1, 1},
	}
	for _, tt := range tests {
		for _, obj := range []struct {
			key  string
			body []byte
		}{{"small", small}, {"large", large}} {
			t.Run(tt.name+"/"+obj.key, func(t *testing.T) {
				n := int64(len(obj.body))
				start := min(tt.offset, n)
				end := n
				if tt.length >= 0 {
					end = min(start+tt.length, n)
				}
				got := mustGet(t, s, obj.key, tt.offset, tt.length)
				if want := obj.body[start:end]; !bytes.Equal(got, want) {
					t.Errorf("GetObject(%d, %d) = %d bytes; want %d", tt.offset, tt.length, len(got), len(want))
				}
			})
		}
	}
	if _, _, err := s.GetObject(context.Background(), testBucket, "small", -1, 1); err == nil {
		t.Error("GetObject with negative offset succeeded")
	}
}

func TestGetMissing(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	if _, _, err := s.GetObject(ctx, testBucket, "nope", 0, -1); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("GetObject(missing key) = %v; want ErrNoSuchKey", err)
	}
	if _, err := s.HeadObject(ctx, testBucket, "nope"); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("HeadObject(missing key) = %v; want ErrNoSuchKey", err)
	}
	if _, _, err := s.GetObject(ctx, "no-bucket", "k", 0, -1); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("GetObject(missing bucket) = %v; want ErrNoSuchBucket", err)
	}
	if _, err := s.HeadObject(ctx, "no-bucket", "k"); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("HeadObject(missing bucket) = %v; want ErrNoSuchBucket", err)
	}
	if err := s.DeleteObject(ctx, testBucket, "nope"); err != nil {
		t.Errorf("DeleteObject(missing key) = %v; want nil", err)
	}
	if err := s.DeleteObject(ctx, "no-bucket", "nope"); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("DeleteObject(missing bucket) = %v; want ErrNoSuchBucket", err)
	}
}

func TestDelete(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for _, size := range []int{0, 10, DefaultInlineMax + 1} {
		key := fmt.Sprint("del-", size)
		mustPut(t, s, key, pattern(size, 3))
		if err := s.DeleteObject(ctx, testBucket, key); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		if _, err := s.HeadObject(ctx, testBucket, key); !errors.Is(err, ErrNoSuchKey) {
			t.Errorf("HeadObject after delete = %v; want ErrNoSuchKey", err)
		}
	}
	if got := objectFiles(t, s); len(got) != 0 {
		t.Errorf("files left after deletes: %v", got)
	}
	var blobs int
	s.db.Reader().QueryRow("SELECT count(*) FROM blobs").Scan(&blobs)
	if blobs != 0 {
		t.Errorf("%d inline bodies left after deletes", blobs)
	}
}

func TestReplace(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	sizes := []int{10, DefaultInlineMax + 100, 0, 2 * chunkSize, 5}
	for i, size := range sizes {
		body := pattern(size, byte(i))
		mustPut(t, s, "k", body)
		if got := mustGet(t, s, "k", 0, -1); !bytes.Equal(got, body) {
			t.Fatalf("after write %d: got %d bytes; want %d", i, len(got), size)
		}
		wantFiles := 0
		if size > DefaultInlineMax {
			wantFiles = 1
		}
		if got := objectFiles(t, s); len(got) != wantFiles {
			t.Errorf("after write %d: %d files on disk; want %d", i, len(got), wantFiles)
		}
	}
	var blobs int
	s.db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM blobs").Scan(&blobs)
	if blobs != 1 {
		t.Errorf("%d inline bodies kept; want 1", blobs)
	}
}

// TestReaderKeepsVersion checks that a reader opened before a replace or
// delete reads the version it opened to the end.
func TestReaderKeepsVersion(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	old := pattern(3*chunkSize, 1)
	mustPut(t, s, "k", old)

	m, r, err := s.GetObject(ctx, testBucket, "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 100)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "k", pattern(2*chunkSize, 2))
	if err := s.DeleteObject(ctx, testBucket, "k"); err != nil {
		t.Fatal(err)
	}
	if n := len(objectFiles(t, s)); n != 2 {
		t.Errorf("%d files while a reader is open; want 2 (old and replaced)", n)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if got := append(first, rest...); !bytes.Equal(got, old) || m.ETag != md5hex(old) {
		t.Errorf("reader returned %d bytes md5 %s; want the old version", len(got), md5hex(got))
	}
	if n := len(objectFiles(t, s)); n != 0 {
		t.Errorf("%d files after the reader closed; want 0", n)
	}
}

func TestPutBodyErrors(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	errBoom := errors.New("boom")
	tests := []struct {
		name string
		body io.Reader
		size int64
		want error
	}{
		{"short small", bytes.NewReader(pattern(10, 0)), 11, ErrIncompleteBody},
		{"short large", bytes.NewReader(pattern(DefaultInlineMax*3, 0)), DefaultInlineMax*3 + 1, ErrIncompleteBody},
		{"long small", bytes.NewReader(pattern(10, 0)), 9, ErrBodyTooLong},
		{"long large", bytes.NewReader(pattern(2*chunkSize, 0)), 2*chunkSize - 1, ErrBodyTooLong},
		{"cut short, size known", cutShort(100), 200, ErrIncompleteBody},
		{"cut short, size unknown", cutShort(100), -1, io.ErrUnexpectedEOF},
		{"read error large", io.MultiReader(bytes.NewReader(pattern(chunkSize*2, 0)), errReader{errBoom}), -1, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := putOpts("bad")
			opts.Size = tt.size
			if _, err := s.PutObject(ctx, tt.body, opts); !errors.Is(err, tt.want) {
				t.Errorf("PutObject = %v; want %v", err, tt.want)
			}
			assertNothingStored(t, s, "bad")
		})
	}
}

type errReader struct{ err error }

// cutShort is a body of n bytes whose connection then breaks, as net/http
// reports it.
func cutShort(n int) io.Reader {
	return io.MultiReader(bytes.NewReader(pattern(n, 0)), errReader{io.ErrUnexpectedEOF})
}

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func assertNothingStored(t *testing.T, s *Store, key string) {
	t.Helper()
	if _, err := s.HeadObject(context.Background(), testBucket, key); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("HeadObject(%q) = %v; want ErrNoSuchKey", key, err)
	}
	if f := objectFiles(t, s); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
	if e := tmpFiles(t, s); len(e) != 0 {
		t.Errorf("temporary files left: %v", e)
	}
	var n int
	s.db.Reader().QueryRow("SELECT (SELECT count(*) FROM blobs) + (SELECT count(*) FROM files)").Scan(&n)
	if n != 0 {
		t.Errorf("%d blob or file rows left", n)
	}
}

func TestBeforeCommit(t *testing.T) {
	for _, size := range []int{100, 3 * DefaultInlineMax} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s := newTestStore(t)
			body := pattern(size, 9)
			errReject := errors.New("bad content-md5")
			var got Digests
			opts := putOpts("k")
			opts.ChecksumAlgorithm = checksum.SHA256
			opts.BeforeCommit = func(d Digests) error { got = d; return errReject }
			if _, err := s.PutObject(context.Background(), bytes.NewReader(body), opts); !errors.Is(err, errReject) {
				t.Fatalf("PutObject = %v; want the BeforeCommit error", err)
			}
			want := Digests{MD5: md5.Sum(body), Checksum: checksum.Of(checksum.SHA256, body), Size: int64(size)}
			if got != want {
				t.Errorf("BeforeCommit got %+v; want %+v", got, want)
			}
			assertNothingStored(t, s, "k")
		})
	}
}

// slowReader yields a chunk per Read until it is told to stop.
type slowReader struct {
	n      int
	cancel func()
}

func (r *slowReader) Read(p []byte) (int, error) {
	r.n++
	if r.n == 3 {
		r.cancel()
	}
	return copy(p, pattern(min(len(p), 1<<16), 1)), nil
}

func TestPutCanceled(t *testing.T) {
	s := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.PutObject(ctx, &slowReader{cancel: cancel}, putOpts("k"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PutObject = %v; want context.Canceled", err)
	}
	assertNothingStored(t, s, "k")
}

func TestConditionalPut(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	first := mustPut(t, s, "k", []byte("one"))
	tests := []struct {
		name        string
		key         string
		ifMatch     string
		ifNoneMatch string
		want        error
	}{
		{"if-none-match * on existing", "k", "", "*", ErrPreconditionFailed},
		{"if-none-match * on new", "new", "", "*", nil},
		{"if-match right etag", "k", `"` + first.ETag + `"`, "", nil},
		{"if-match old etag", "k", first.ETag, "", ErrPreconditionFailed},
		{"if-match on missing", "missing", "*", "", ErrNoSuchKey},
		{"if-match *", "k", "*", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := putOpts(tt.key)
			opts.IfMatch, opts.IfNoneMatch = tt.ifMatch, tt.ifNoneMatch
			_, err := s.PutObject(ctx, strings.NewReader("two"), opts)
			if !errors.Is(err, tt.want) {
				t.Errorf("PutObject = %v; want %v", err, tt.want)
			}
		})
	}
}

// TestConcurrentWritersOneKey races writers of one key: the survivor is
// one of them, whole, and nothing of the others stays on disk.
func TestConcurrentWritersOneKey(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	const writers = 12
	bodies := make(map[string]int)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		size := 1000 + i
		if i%2 == 1 {
			size = DefaultInlineMax + 1000*i // every other one goes to a file
		}
		body := pattern(size, byte(i))
		bodies[md5hex(body)] = i
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.PutObject(ctx, bytes.NewReader(body), putOpts("hot"))
			errs <- err
		}()
	}
	// Readers run alongside and must always see a whole version.
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	for range 2 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				m, r, err := s.GetObject(ctx, testBucket, "hot", 0, -1)
				if errors.Is(err, ErrNoSuchKey) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				b, err := io.ReadAll(r)
				r.Close()
				if err != nil || md5hex(b) != m.ETag {
					t.Errorf("concurrent read: err %v, md5 %s, meta ETag %s", err, md5hex(b), m.ETag)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("PutObject: %v", err)
		}
	}

	m, err := s.HeadObject(ctx, testBucket, "hot")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bodies[m.ETag]; !ok {
		t.Errorf("surviving ETag %s is none of the writers'", m.ETag)
	}
	if got := mustGet(t, s, "hot", 0, -1); md5hex(got) != m.ETag {
		t.Errorf("read back md5 %s; want %s", md5hex(got), m.ETag)
	}
	wantFiles := 0
	if m.Size > DefaultInlineMax {
		wantFiles = 1
	}
	if f := objectFiles(t, s); len(f) != wantFiles {
		t.Errorf("%d files on disk; want %d", len(f), wantFiles)
	}
}

func TestUpdateObjectMeta(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	body := pattern(DefaultInlineMax+5, 4)
	orig := mustPut(t, s, "k", body)

	m, err := s.UpdateObjectMeta(ctx, testBucket, "k", func(m *ObjectMeta) error {
		m.Tags = map[string]string{"team": "data"}
		m.ACL = []byte("acl-v2")
		m.Size = 1 // ignored
		m.ETag = "x"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.HeadObject(ctx, testBucket, "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []ObjectMeta{m, h} {
		if got.Tags["team"] != "data" || string(got.ACL) != "acl-v2" || got.ETag != orig.ETag ||
			got.Size != orig.Size || !got.LastModified.Equal(orig.LastModified) {
			t.Errorf("after update: %+v", got)
		}
	}
	if got := mustGet(t, s, "k", 0, -1); !bytes.Equal(got, body) {
		t.Error("bytes changed by UpdateObjectMeta")
	}

	errNo := errors.New("no")
	_, err = s.UpdateObjectMeta(ctx, testBucket, "k", func(*ObjectMeta) error { return errNo })
	if !errors.Is(err, errNo) {
		t.Errorf("UpdateObjectMeta(fn error) = %v", err)
	}
	_, err = s.UpdateObjectMeta(ctx, testBucket, "missing", func(*ObjectMeta) error { return nil })
	if !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("UpdateObjectMeta(missing) = %v; want ErrNoSuchKey", err)
	}

	// A write between read and write-back makes it start over on the new
	// version.
	calls := 0
	m, err = s.UpdateObjectMeta(ctx, testBucket, "k", func(m *ObjectMeta) error {
		calls++
		if calls == 1 {
			mustPut(t, s, "k", []byte("new version"))
		}
		m.Tags = map[string]string{"n": fmt.Sprint(calls)}
		return nil
	})
	if err != nil || calls != 2 || m.ETag != md5hex([]byte("new version")) || m.Tags["n"] != "2" {
		t.Errorf("UpdateObjectMeta racing a put: %+v, %v, calls %d", m, err, calls)
	}
}

func TestOrphanSweep(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, Bucket{Name: testBucket}); err != nil {
		t.Fatal(err)
	}
	keep := pattern(DefaultInlineMax*2, 1)
	mustPut(t, s, "keep", keep)
	u, err := s.CreateUpload(ctx, Upload{Bucket: testBucket, Key: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPart(ctx, testBucket, "mp", u.UploadID, 1, bytes.NewReader(keep), PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}

	// What a crash leaves: a body renamed but never committed, a
	// half-written temporary file, and a stray entry that is not ours.
	orphan := newFileID()
	d, err := s.fileDir(orphan)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, orphan), []byte("uncommitted"), 0o644)
	os.WriteFile(filepath.Join(s.tmpDir, "body-123"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(d, "README"), []byte("not ours"), 0o644)
	if n := len(objectFiles(t, s)); n != 4 {
		t.Fatalf("%d files before the sweep; want 4", n)
	}

	s2, err := Open(ctx, s.dir, s.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := objectFiles(t, s2)
	if len(files) != 3 || len(tmpFiles(t, s2)) != 0 {
		t.Errorf("after sweep: files %v, tmp %v; want the object, the part and README", files, tmpFiles(t, s2))
	}
	for _, f := range files {
		if f == orphan {
			t.Error("orphan survived the sweep")
		}
	}
	if got := mustGet(t, s2, "keep", 0, -1); !bytes.Equal(got, keep) {
		t.Error("committed object damaged by the sweep")
	}
}

func TestStoresAreIndependent(t *testing.T) {
	a, b := newTestStore(t), newTestStore(t)
	mustPut(t, a, "k", []byte("in a"))
	if _, err := b.HeadObject(context.Background(), testBucket, "k"); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("store b sees store a's object: %v", err)
	}
}

func TestLastModifiedRoundTrip(t *testing.T) {
	s := newTestStore(t)
	s.now = func() time.Time { return time.Date(2025, 1, 15, 10, 0, 0, 123456789, time.FixedZone("X", 3600)) }
	m := mustPut(t, s, "k", []byte("x"))
	h, _ := s.HeadObject(context.Background(), testBucket, "k")
	if m.LastModified != h.LastModified || m.LastModified.Location() != time.UTC {
		t.Errorf("LastModified put %v, head %v; want equal, UTC", m.LastModified, h.LastModified)
	}
}

// A large body file that an overwrite or a delete frees becomes a spare,
// and the next large write reuses it in place: the new object reads back
// exactly, shorter than the spare's old contents included, and the
// spares stay bounded. A reader that holds the old version keeps it whole
// until it is done.
func TestSpareFiles(t *testing.T) {
	s := newTestStore(t)
	big, mid, small := pattern(3<<20+17, 1), pattern(2<<20+5, 2), pattern(minSpareSize+1, 3)
	mustPut(t, s, "k", big)

	// A reader of the first version, open while it is replaced.
	_, r, err := s.GetObject(context.Background(), testBucket, "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "k", mid)
	if n := len(s.spares); n != 0 {
		t.Fatalf("%d spares while a reader holds the replaced file; want 0", n)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("reader of the replaced version: %d bytes, %v; want the first body", len(got), err)
	}
	if n := len(s.spares); n != 1 {
		t.Fatalf("%d spares after the reader closed; want 1", n)
	}

	// The next write reuses the spare; its old, longer contents are cut.
	mustPut(t, s, "other", small)
	if n := len(s.spares); n != 0 {
		t.Errorf("%d spares after a write took the only one; want 0", n)
	}
	if b := mustGet(t, s, "other", 0, -1); !bytes.Equal(b, small) {
		t.Fatalf("object written into a spare: %d bytes; want %d, identical", len(b), len(small))
	}
	if err := s.DeleteObject(context.Background(), testBucket, "k"); err != nil {
		t.Fatal(err)
	}
	if b := mustGet(t, s, "other", 0, -1); !bytes.Equal(b, small) {
		t.Fatal("object changed when another was deleted")
	}
	if n := len(s.spares); n != 1 {
		t.Errorf("%d spares after a delete freed a file; want 1", n)
	}

	// Bounded: many frees keep at most maxSpares.
	for i := range maxSpares + 4 {
		mustPut(t, s, fmt.Sprintf("many-%d", i), pattern(minSpareSize, byte(i)))
	}
	for i := range maxSpares + 4 {
		if err := s.DeleteObject(context.Background(), testBucket, fmt.Sprintf("many-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.spares); n > maxSpares {
		t.Errorf("%d spares; want at most %d", n, maxSpares)
	}
	tmp, _ := os.ReadDir(s.tmpDir)
	if len(tmp) != len(s.spares) {
		t.Errorf("tmp/ holds %d files, the store knows %d spares", len(tmp), len(s.spares))
	}
}

// TestCopyOfShortFile: an object file shorter than the index says (a disk
// that lost data) ends a copy of the body with io.ErrUnexpectedEOF after
// the bytes it has, never with a short success.
func TestCopyOfShortFile(t *testing.T) {
	s := newTestStore(t)
	body := pattern(3*copyBufSize+100, 7)
	mustPut(t, s, "cut", body)
	files := objectFiles(t, s)
	if len(files) != 1 {
		t.Fatalf("%d object files; want 1", len(files))
	}
	cut := int64(copyBufSize + 10)
	if err := os.Truncate(s.filePath(files[0]), cut); err != nil {
		t.Fatal(err)
	}
	_, r, err := s.GetObject(context.Background(), testBucket, "cut", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var sb strings.Builder // no ReadFrom: io.Copy uses the reader's WriteTo
	n, err := io.Copy(&sb, r)
	if !errors.Is(err, io.ErrUnexpectedEOF) || n != cut || sb.String() != string(body[:cut]) {
		t.Errorf("io.Copy = %d, %v; want %d bytes and io.ErrUnexpectedEOF", n, err, cut)
	}
}
