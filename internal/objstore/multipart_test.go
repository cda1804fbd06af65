package objstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"inlet/internal/checksum"
)

const mpKey = "ingestion/datasets/version=1/datasetId=ds-0001/2025-01-15/mpu.bin"

func mustCreateUpload(t testing.TB, s *Store, key string, alg checksum.Algorithm) Upload {
	t.Helper()
	u, err := s.CreateUpload(context.Background(), Upload{
		Bucket:            testBucket,
		Key:               key,
		ChecksumAlgorithm: alg,
		Meta:              ObjectMeta{Owner: "222222222222", ContentType: "application/octet-stream", ACL: []byte("bofc")},
	})
	if err != nil {
		t.Fatalf("CreateUpload: %v", err)
	}
	return u
}

func mustPutPart(t testing.TB, s *Store, u Upload, n int, body []byte) PartInfo {
	t.Helper()
	p, err := s.PutPart(context.Background(), u.Bucket, u.Key, u.UploadID, n, bytes.NewReader(body),
		PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("PutPart(%d): %v", n, err)
	}
	return p
}

// The happy path of case 12 (shared/cases/inputs/12-multipart-etag.py).
func TestMultipartCase12(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	p1, p2 := bytes.Repeat([]byte("a"), 5<<20), bytes.Repeat([]byte("b"), 1<<10)

	u := mustCreateUpload(t, s, mpKey, checksum.CRC32)
	if len(u.UploadID) < 16 || strings.ContainsAny(u.UploadID, "+/=") || u.Initiated.IsZero() {
		t.Errorf("upload id %q initiated %v", u.UploadID, u.Initiated)
	}
	r1 := mustPutPart(t, s, u, 1, p1)
	r2 := mustPutPart(t, s, u, 2, p2)
	if r1.ETag != "79b281060d337b9b2b84ccf390adcf74" || r2.ETag != "bbe6402cdc9b7e2036fc97e9a91726cd" {
		t.Errorf("part ETags %s, %s", r1.ETag, r2.ETag)
	}
	if r1.Checksum.Encoded != "r/zBbw==" || r2.Checksum.Encoded != "Qw0K7A==" {
		t.Errorf("part checksums %v, %v (computed with the upload's algorithm)", r1.Checksum, r2.Checksum)
	}

	parts, truncated, err := s.ListParts(ctx, testBucket, mpKey, u.UploadID, ListPartsOptions{})
	if err != nil || truncated || len(parts) != 2 || parts[0].Size != 5<<20 || parts[1].Size != 1<<10 {
		t.Fatalf("ListParts = %+v, %v, %v", parts, truncated, err)
	}

	m, err := s.CompleteUpload(ctx, testBucket, mpKey, u.UploadID, []CompletePart{
		{Number: 1, ETag: `"` + r1.ETag + `"`, Checksum: "r/zBbw=="},
		{Number: 2, ETag: `"` + r2.ETag + `"`, Checksum: "Qw0K7A=="},
	}, PutOptions{})
	if err != nil {
		t.Fatalf("CompleteUpload: %v", err)
	}
	if m.ETag != "16329fb6004d64a4fbc5bbb983fa0528-2" {
		t.Errorf("ETag = %s; want 16329fb6004d64a4fbc5bbb983fa0528-2", m.ETag)
	}
	want := checksum.Value{Algorithm: checksum.CRC32, Encoded: "pm11MA==-2"}
	h, err := s.HeadObject(ctx, testBucket, mpKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []ObjectMeta{m, h} {
		if got.ETag != "16329fb6004d64a4fbc5bbb983fa0528-2" || got.Size != 5<<20+1<<10 || got.Checksum != want ||
			got.Owner != "222222222222" || got.ContentType != "application/octet-stream" || string(got.ACL) != "bofc" ||
			len(got.Parts) != 2 || got.Parts[0].Size != 5<<20 || got.Parts[1].Size != 1<<10 || got.Parts[1].Number != 2 {
			t.Errorf("completed object = %+v", got)
		}
	}

	// The bytes are the parts' files, read across the boundary.
	body := append(bytes.Clone(p1), p2...)
	if got := mustGet(t, s, mpKey, 0, -1); !bytes.Equal(got, body) {
		t.Errorf("GetObject: %d bytes, md5 %s", len(got), md5hex(got))
	}
	for _, rg := range [][2]int64{{5<<20 - 3, 10}, {5<<20 - 1, -1}, {5 << 20, 1}, {100, 5 << 20}} {
		end := int64(len(body))
		if rg[1] >= 0 {
			end = rg[0] + rg[1]
		}
		if got := mustGet(t, s, mpKey, rg[0], rg[1]); !bytes.Equal(got, body[rg[0]:end]) {
			t.Errorf("range %v: got %d bytes", rg, len(got))
		}
	}
	var sb strings.Builder // WriteTo path
	_, r, _ := s.GetObject(ctx, testBucket, mpKey, 3, -1)
	if n, err := io.Copy(&sb, r); err != nil || n != int64(len(body)-3) || sb.String() != string(body[3:]) {
		t.Errorf("io.Copy = %d, %v", n, err)
	}
	r.Close()

	if files := objectFiles(t, s); len(files) != 2 {
		t.Errorf("%d files; want the 2 parts, not copied", len(files))
	}
	if _, err := s.GetUpload(ctx, testBucket, mpKey, u.UploadID); !errors.Is(err, ErrNoSuchUpload) {
		t.Errorf("GetUpload after complete = %v; want ErrNoSuchUpload", err)
	}

	// Replacing the object removes the part files.
	mustPut(t, s, mpKey, []byte("small"))
	if files := objectFiles(t, s); len(files) != 0 {
		t.Errorf("%d files after replacing the multipart object", len(files))
	}
}

func TestMultipartErrors(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	big, small := bytes.Repeat([]byte("a"), MinPartSize), bytes.Repeat([]byte("b"), 1<<10)

	tests := []struct {
		name  string
		parts map[int][]byte
		list  func(etag map[int]string) []CompletePart
		want  error
	}{
		{"entity too small", map[int][]byte{1: small, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {2, e[2], ""}} },
			ErrEntityTooSmall},
		{"out of order", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{2, e[2], ""}, {1, e[1], ""}} },
			ErrInvalidPartOrder},
		{"duplicate number", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {1, e[1], ""}} },
			ErrInvalidPartOrder},
		{"wrong etag", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart {
				return []CompletePart{{1, `"00000000000000000000000000000000"`, ""}, {2, e[2], ""}}
			},
			ErrInvalidPart},
		{"missing part", map[int][]byte{1: big},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {2, e[1], ""}} },
			ErrInvalidPart},
		{"wrong checksum", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], "AAAAAA=="}, {2, e[2], ""}} },
			ErrInvalidPart},
		{"wrong etag before small part", map[int][]byte{1: small, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {2, "bad", ""}} },
			ErrInvalidPart},
		{"empty list", map[int][]byte{1: small}, func(map[int]string) []CompletePart { return nil }, ErrInvalidPart},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprint("err-", i)
			u := mustCreateUpload(t, s, key, checksum.CRC32)
			etags := map[int]string{}
			for n, b := range tt.parts {
				etags[n] = `"` + mustPutPart(t, s, u, n, b).ETag + `"`
			}
			_, err := s.CompleteUpload(ctx, testBucket, key, u.UploadID, tt.list(etags), PutOptions{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("CompleteUpload = %v; want %v", err, tt.want)
			}
			// A failed completion changes nothing: the upload is still there.
			if _, err := s.GetUpload(ctx, testBucket, key, u.UploadID); err != nil {
				t.Errorf("GetUpload after failed complete = %v", err)
			}
			if err := s.AbortUpload(ctx, testBucket, key, u.UploadID); err != nil {
				t.Fatal(err)
			}
		})
	}
	if f := objectFiles(t, s); len(f) != 0 {
		t.Errorf("files left after aborts: %v", f)
	}
}

func TestMultipartAbortAndMissing(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	u := mustCreateUpload(t, s, "k", "")
	mustPutPart(t, s, u, 1, []byte("x"))
	mustPutPart(t, s, u, 3, []byte("y"))

	if err := s.AbortUpload(ctx, testBucket, "other-key", u.UploadID); !errors.Is(err, ErrNoSuchUpload) {
		t.Errorf("AbortUpload(other key) = %v; want ErrNoSuchUpload", err)
	}
	if err := s.AbortUpload(ctx, testBucket, "k", u.UploadID); err != nil {
		t.Fatal(err)
	}
	if f := objectFiles(t, s); len(f) != 0 {
		t.Errorf("part files left after abort: %v", f)
	}

	checks := []struct {
		name string
		err  error
	}{
		{"PutPart", func() error {
			_, err := s.PutPart(ctx, testBucket, "k", u.UploadID, 3, strings.NewReader("x"), PutOptions{Size: -1})
			return err
		}()},
		{"CompleteUpload", func() error {
			_, err := s.CompleteUpload(ctx, testBucket, "k", u.UploadID, []CompletePart{{Number: 1, ETag: "x"}}, PutOptions{})
			return err
		}()},
		{"ListParts", func() error {
			_, _, err := s.ListParts(ctx, testBucket, "k", u.UploadID, ListPartsOptions{})
			return err
		}()},
		{"AbortUpload again", s.AbortUpload(ctx, testBucket, "k", u.UploadID)},
		{"GetUpload", func() error { _, err := s.GetUpload(ctx, testBucket, "k", u.UploadID); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, ErrNoSuchUpload) {
			t.Errorf("%s after abort = %v; want ErrNoSuchUpload", c.name, c.err)
		}
	}
	if f := objectFiles(t, s); len(f) != 0 {
		t.Errorf("files left after PutPart to an aborted upload: %v", f)
	}
	if _, err := s.CreateUpload(ctx, Upload{Bucket: "nope", Key: "k"}); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("CreateUpload(missing bucket) = %v; want ErrNoSuchBucket", err)
	}
}

func TestMultipartReplaceAndUnlisted(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	u := mustCreateUpload(t, s, "k", checksum.SHA256)
	first := pattern(MinPartSize, 1)
	mustPutPart(t, s, u, 1, pattern(MinPartSize, 9)) // replaced below
	p1 := mustPutPart(t, s, u, 1, first)
	mustPutPart(t, s, u, 2, []byte("unlisted"))
	p5 := mustPutPart(t, s, u, 5, []byte("last"))
	if n := len(objectFiles(t, s)); n != 3 {
		t.Errorf("%d files after replacing part 1; want 3", n)
	}

	parts, truncated, err := s.ListParts(ctx, testBucket, "k", u.UploadID,
		ListPartsOptions{PartNumberMarker: 1, MaxParts: 1})
	if err != nil || !truncated || len(parts) != 1 || parts[0].Number != 2 {
		t.Errorf("ListParts(marker 1, max 1) = %+v, %v, %v", parts, truncated, err)
	}
	parts, truncated, _ = s.ListParts(ctx, testBucket, "k", u.UploadID, ListPartsOptions{PartNumberMarker: 2, MaxParts: 5})
	if truncated || len(parts) != 1 || parts[0].Number != 5 || parts[0].ETag != p5.ETag {
		t.Errorf("ListParts(marker 2) = %+v, %v", parts, truncated)
	}

	var seen Digests
	m, err := s.CompleteUpload(ctx, testBucket, "k", u.UploadID, []CompletePart{
		{Number: 1, ETag: p1.ETag}, {Number: 5, ETag: p5.ETag},
	}, PutOptions{
		Meta:         ObjectMeta{Owner: "111111111111", ACL: []byte("override")},
		BeforeCommit: func(d Digests) error { seen = d; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Owner != "111111111111" || string(m.ACL) != "override" || m.ContentType != "application/octet-stream" {
		t.Errorf("meta overrides: %+v", m)
	}
	if seen.Size != m.Size || !strings.HasPrefix(m.ETag, hex.EncodeToString(seen.MD5[:])) || seen.Checksum != m.Checksum {
		t.Errorf("BeforeCommit saw %+v for %+v", seen, m)
	}
	if !strings.HasSuffix(m.Checksum.Encoded, "-2") || m.Checksum.Algorithm != checksum.SHA256 {
		t.Errorf("composite checksum = %v", m.Checksum)
	}
	if got := mustGet(t, s, "k", 0, -1); !bytes.Equal(got, append(first, "last"...)) {
		t.Error("completed object has the wrong bytes")
	}
	if n := len(objectFiles(t, s)); n != 2 {
		t.Errorf("%d files; the unlisted part 2 should be gone", n)
	}
}

func TestMultipartBeforeCommitRejects(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	u := mustCreateUpload(t, s, "k", "")
	errReject := errors.New("bad checksum header")
	_, err := s.PutPart(ctx, testBucket, "k", u.UploadID, 1, strings.NewReader("data"),
		PutOptions{Size: -1, BeforeCommit: func(Digests) error { return errReject }})
	if !errors.Is(err, errReject) {
		t.Fatalf("PutPart = %v", err)
	}
	parts, _, _ := s.ListParts(ctx, testBucket, "k", u.UploadID, ListPartsOptions{})
	if len(parts) != 0 || len(objectFiles(t, s)) != 0 {
		t.Errorf("rejected part left %d parts, %d files", len(parts), len(objectFiles(t, s)))
	}

	p := mustPutPart(t, s, u, 1, []byte("data"))
	_, err = s.CompleteUpload(ctx, testBucket, "k", u.UploadID, []CompletePart{{Number: 1, ETag: p.ETag}},
		PutOptions{BeforeCommit: func(Digests) error { return errReject }})
	if !errors.Is(err, errReject) {
		t.Fatalf("CompleteUpload = %v", err)
	}
	if _, err := s.HeadObject(ctx, testBucket, "k"); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("rejected completion created the object: %v", err)
	}
}

func TestListUploads(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	tick := int64(0)
	base := s.now()
	s.now = func() time.Time { tick++; return base.Add(time.Duration(tick) * time.Second) }

	var ids = map[string][]string{}
	for _, k := range []string{"b", "a", "b", "c/x", "c/y", "b"} {
		u := mustCreateUpload(t, s, k, "")
		ids[k] = append(ids[k], u.UploadID)
	}
	type entry struct{ key, id string }
	all := []entry{{"a", ids["a"][0]}, {"b", ids["b"][0]}, {"b", ids["b"][1]}, {"b", ids["b"][2]},
		{"c/x", ids["c/x"][0]}, {"c/y", ids["c/y"][0]}}

	tests := []struct {
		name      string
		opts      ListUploadsOptions
		want      []entry
		truncated bool
	}{
		{"all", ListUploadsOptions{}, all, false},
		{"max 2", ListUploadsOptions{MaxUploads: 2}, all[:2], true},
		{"prefix", ListUploadsOptions{Prefix: "c/"}, all[4:], false},
		{"key marker", ListUploadsOptions{KeyMarker: "b"}, all[4:], false},
		{"key and upload marker", ListUploadsOptions{KeyMarker: "b", UploadIDMarker: ids["b"][0]}, all[2:], false},
		{"upload marker alone is ignored", ListUploadsOptions{UploadIDMarker: ids["b"][0]}, all, false},
		{"markers and max", ListUploadsOptions{KeyMarker: "b", UploadIDMarker: ids["b"][1], MaxUploads: 1}, all[3:4], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, truncated, err := s.ListUploads(ctx, testBucket, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var es []entry
			for _, u := range got {
				es = append(es, entry{u.Key, u.UploadID})
				if u.Meta.Owner != "222222222222" || u.Initiated.IsZero() {
					t.Errorf("upload %+v lacks its metadata", u)
				}
			}
			if fmt.Sprint(es) != fmt.Sprint(tt.want) || truncated != tt.truncated {
				t.Errorf("ListUploads = %v, %v; want %v, %v", es, truncated, tt.want, tt.truncated)
			}
		})
	}
	if _, _, err := s.ListUploads(ctx, "nope", ListUploadsOptions{}); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("ListUploads(missing bucket) = %v", err)
	}
}
