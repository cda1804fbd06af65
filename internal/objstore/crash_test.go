package objstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"inlet/internal/meta"
)

// crashSizes are the body sizes the crash writer uses: inline, file,
// multi-chunk.
var crashSizes = []int{8, 100, 4 << 10, DefaultInlineMax, DefaultInlineMax + 1, 300 << 10, 3<<20 + 5}

// crashBody is version ver of key: the version, then bytes derived from
// key and version, so a reader can tell which write it sees and whether
// it is whole.
func crashBody(key string, ver uint64) []byte {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", key, ver)
	sum := h.Sum64()
	size := crashSizes[sum%uint64(len(crashSizes))]
	if strings.Contains(key, "/mp/") {
		size = MinPartSize + 100 // a full part and a short one
	}
	b := pattern(size, byte(sum>>8))
	binary.BigEndian.PutUint64(b, ver)
	return b
}

// TestCrashRecovery kills a writing process with SIGKILL at varying
// moments, then checks that every acknowledged write reads back whole,
// that every listed object is whole, and that nothing is left over.
func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv("OBJSTORE_CRASH_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("crash rounds: skipped with -short")
	}
	dir := t.TempDir()
	acked := map[string]uint64{} // key -> last acknowledged version
	for round, delay := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, 700 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), "OBJSTORE_CRASH_DIR="+dir, fmt.Sprint("OBJSTORE_CRASH_ROUND=", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()

		// Kill once the child has written for a while.
		n := 0
		for line := range lines {
			key, v, ok := strings.Cut(strings.TrimPrefix(line, "ACK "), " ")
			if !ok {
				continue
			}
			if n == 0 {
				time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
			}
			ver, _ := strconv.ParseUint(v, 10, 64)
			acked[key] = max(acked[key], ver)
			n++
		}
		cmd.Wait()
		t.Logf("round %d: killed %v after the first of %d acknowledged writes", round, delay, n)
		if n == 0 {
			t.Fatalf("round %d: nothing acknowledged before the kill", round)
		}
		verifyAfterCrash(t, dir, acked)
	}
}

func verifyAfterCrash(t *testing.T, dir string, acked map[string]uint64) {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := Open(ctx, filepath.Join(dir, "data"), db, nil)
	if err != nil {
		t.Fatal(err)
	}

	check := func(key string) (uint64, bool) {
		m, r, err := s.GetObject(ctx, testBucket, key, 0, -1)
		if err != nil {
			t.Errorf("GetObject(%q): %v", key, err)
			return 0, false
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || len(b) < 8 {
			t.Errorf("read %q: %d bytes, %v", key, len(b), err)
			return 0, false
		}
		ver := binary.BigEndian.Uint64(b)
		etagOK := md5hex(b) == m.ETag || strings.HasSuffix(m.ETag, "-2") // multipart
		if !bytes.Equal(b, crashBody(key, ver)) || !etagOK || int64(len(b)) != m.Size {
			t.Errorf("%q version %d is damaged: %d bytes, md5 %s, ETag %s", key, ver, len(b), md5hex(b), m.ETag)
			return 0, false
		}
		return ver, true
	}
	for key, want := range acked {
		if ver, ok := check(key); ok && ver < want {
			t.Errorf("%q reads as version %d; version %d was acknowledged", key, ver, want)
		}
	}
	listed := 0
	for _, p := range listAll(t, s, ListOptions{MaxKeys: 1000}) {
		for _, k := range p.Keys {
			check(k)
			listed++
		}
	}
	if listed < len(acked) {
		t.Errorf("%d objects listed; %d acknowledged", listed, len(acked))
	}

	var indexed int
	db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM files").Scan(&indexed)
	if files := objectFiles(t, s); len(files) != indexed {
		t.Errorf("%d files on disk, %d in the index: the sweep missed orphans", len(files), indexed)
	}
	if e := tmpFiles(t, s); len(e) != 0 {
		t.Errorf("%d temporary files after Open", len(e))
	}
}

// crashChild writes until it is killed, printing "ACK key version" after
// each acknowledged write.
func crashChild(dir string) {
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		panic(err)
	}
	s, err := Open(ctx, filepath.Join(dir, "data"), db, nil)
	if err != nil {
		panic(err)
	}
	s.CreateBucket(ctx, Bucket{Name: testBucket})
	round := os.Getenv("OBJSTORE_CRASH_ROUND")

	var mu sync.Mutex
	ack := func(key string, ver uint64) {
		mu.Lock()
		fmt.Printf("ACK %s %d\n", key, ver)
		mu.Unlock()
	}
	put := func(key string, ver uint64) {
		body := crashBody(key, ver)
		_, err := s.PutObject(ctx, bytes.NewReader(body), PutOptions{
			Meta: ObjectMeta{Bucket: testBucket, Key: key}, Size: int64(len(body))})
		if err != nil {
			panic(err)
		}
		ack(key, ver)
	}

	// Distinct keys, and a few hot keys replaced over and over. Each hot
	// key has one writer, so its versions (times, growing across rounds)
	// commit in order.
	for g := range 6 {
		go func() {
			for i := uint64(0); ; i++ {
				put(fmt.Sprintf("r%s/g%d/%06d", round, g, i), 0)
			}
		}()
	}
	for g := range 2 {
		go func() {
			for i := 0; ; i++ {
				put(fmt.Sprintf("hot/%d/%d", g, i%3), uint64(time.Now().UnixNano()))
			}
		}()
	}
	// Multipart uploads: a 5 MiB part and a short one.
	go func() {
		for i := 0; ; i++ {
			key := fmt.Sprintf("r%s/mp/%04d", round, i)
			body := crashBody(key, 0)
			u, err := s.CreateUpload(ctx, Upload{Bucket: testBucket, Key: key})
			if err != nil {
				panic(err)
			}
			p1, err := s.PutPart(ctx, testBucket, key, u.UploadID, 1, bytes.NewReader(body[:MinPartSize]), PutOptions{Size: -1})
			if err != nil {
				panic(err)
			}
			p2, err := s.PutPart(ctx, testBucket, key, u.UploadID, 2, bytes.NewReader(body[MinPartSize:]), PutOptions{Size: -1})
			if err != nil {
				panic(err)
			}
			_, err = s.CompleteUpload(ctx, testBucket, key, u.UploadID,
				[]CompletePart{{Number: 1, ETag: p1.ETag}, {Number: 2, ETag: p2.ETag}}, PutOptions{})
			if err != nil {
				panic(err)
			}
			ack(key, 0)
		}
	}()
	select {}
}
