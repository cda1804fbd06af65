package objstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"inlet/internal/checksum"
	"inlet/internal/meta"
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

// The happy path of case 12 (testdata/cases/inputs/12-multipart-etag.py).
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
		alg   checksum.Algorithm
		parts map[int][]byte
		list  func(etag map[int]string) []CompletePart
		want  error
	}{
		{"entity too small", "", map[int][]byte{1: small, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {2, e[2], ""}} },
			ErrEntityTooSmall},
		{"out of order", "", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{2, e[2], ""}, {1, e[1], ""}} },
			ErrInvalidPartOrder},
		{"duplicate number", "", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {1, e[1], ""}} },
			ErrInvalidPartOrder},
		{"wrong etag", "", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart {
				return []CompletePart{{1, `"00000000000000000000000000000000"`, ""}, {2, e[2], ""}}
			},
			ErrInvalidPart},
		{"missing part", "", map[int][]byte{1: big},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {2, e[1], ""}} },
			ErrInvalidPart},
		{"wrong checksum", checksum.CRC32, map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], "AAAAAA=="}, {2, e[2], ""}} },
			ErrInvalidPart},
		{"wrong checksum, no algorithm", "", map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], "AAAAAA=="}, {2, e[2], ""}} },
			ErrInvalidPart},
		// An upload with an algorithm must list every part's checksum.
		{"missing part checksum", checksum.CRC32, map[int][]byte{1: big, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], "r/zBbw=="}, {2, e[2], ""}} },
			ErrMissingPartChecksum},
		{"wrong etag before small part", "", map[int][]byte{1: small, 2: small},
			func(e map[int]string) []CompletePart { return []CompletePart{{1, e[1], ""}, {2, "bad", ""}} },
			ErrInvalidPart},
		{"empty list", "", map[int][]byte{1: small}, func(map[int]string) []CompletePart { return nil }, ErrInvalidPart},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprint("err-", i)
			u := mustCreateUpload(t, s, key, tt.alg)
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
		{Number: 1, ETag: p1.ETag, Checksum: p1.Checksum.Encoded}, {Number: 5, ETag: p5.ETag, Checksum: p5.Checksum.Encoded},
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
			page, err := s.ListUploads(ctx, testBucket, tt.opts)
			got, truncated := page.Uploads, page.IsTruncated
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
	if _, err := s.ListUploads(ctx, "nope", ListUploadsOptions{}); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("ListUploads(missing bucket) = %v", err)
	}
}

// The parts of the checksum tests: 5 MiB 'a', 5 MiB 'b', and a short 'c'.
func checksumParts() [][]byte {
	return [][]byte{
		bytes.Repeat([]byte("a"), MinPartSize),
		bytes.Repeat([]byte("b"), MinPartSize),
		bytes.Repeat([]byte("c"), 1<<10),
	}
}

// An upload's checksum type decides the object's checksum: the digest of
// the part digests with "-N" (COMPOSITE), or the CRC of the whole object
// (FULL_OBJECT, the only type of CRC64NVME, never "-N"). An upload that
// named no algorithm gets the default FULL_OBJECT CRC64NVME.
func TestMultipartChecksumTypes(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	parts := checksumParts()
	whole := bytes.Join(parts, nil)

	tests := []struct {
		name     string
		alg      checksum.Algorithm
		typ      checksum.Type // as asked at creation
		wantType checksum.Type // as stored
		want     checksum.Value
	}{
		{"crc32 default", checksum.CRC32, "", checksum.TypeComposite, composite(checksum.CRC32, parts)},
		{"crc32 composite", checksum.CRC32, checksum.TypeComposite, checksum.TypeComposite, composite(checksum.CRC32, parts)},
		{"crc32 full object", checksum.CRC32, checksum.TypeFullObject, checksum.TypeFullObject, checksum.Of(checksum.CRC32, whole)},
		{"crc32c full object", checksum.CRC32C, checksum.TypeFullObject, checksum.TypeFullObject, checksum.Of(checksum.CRC32C, whole)},
		{"crc64nvme default", checksum.CRC64NVME, "", checksum.TypeFullObject, checksum.Of(checksum.CRC64NVME, whole)},
		{"crc64nvme full object", checksum.CRC64NVME, checksum.TypeFullObject, checksum.TypeFullObject, checksum.Of(checksum.CRC64NVME, whole)},
		{"sha256 default", checksum.SHA256, "", checksum.TypeComposite, composite(checksum.SHA256, parts)},
		{"sha1 composite", checksum.SHA1, checksum.TypeComposite, checksum.TypeComposite, composite(checksum.SHA1, parts)},
		{"no algorithm", "", "", "", checksum.Of(checksum.CRC64NVME, whole)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprint("types-", i)
			u, err := s.CreateUpload(ctx, Upload{Bucket: testBucket, Key: key, ChecksumAlgorithm: tt.alg, ChecksumType: tt.typ})
			if err != nil {
				t.Fatalf("CreateUpload: %v", err)
			}
			if got, err := s.GetUpload(ctx, testBucket, key, u.UploadID); err != nil || got.ChecksumType != tt.wantType {
				t.Errorf("GetUpload ChecksumType = %q, %v; want %q", got.ChecksumType, err, tt.wantType)
			}
			var list []CompletePart
			for n, body := range parts {
				p := mustPutPart(t, s, u, n+1, body)
				if tt.alg != "" && p.Checksum != checksum.Of(tt.alg, body) {
					t.Errorf("part %d checksum = %v; want the part's own %s", n+1, p.Checksum, tt.alg)
				}
				cs := ""
				if tt.alg != "" {
					cs = p.Checksum.Encoded
				}
				list = append(list, CompletePart{Number: n + 1, ETag: p.ETag, Checksum: cs})
			}
			var seen Digests
			m, err := s.CompleteUpload(ctx, testBucket, key, u.UploadID, list,
				PutOptions{BeforeCommit: func(d Digests) error { seen = d; return nil }})
			if err != nil {
				t.Fatalf("CompleteUpload: %v", err)
			}
			h, err := s.HeadObject(ctx, testBucket, key)
			if err != nil {
				t.Fatal(err)
			}
			for what, got := range map[string]checksum.Value{"Complete": m.Checksum, "HEAD": h.Checksum, "BeforeCommit": seen.Checksum} {
				if got != tt.want {
					t.Errorf("%s checksum = %v; want %v", what, got, tt.want)
				}
			}
			wantType := tt.wantType
			if wantType == "" {
				wantType = checksum.TypeFullObject
			}
			if got := m.Checksum.Type(); got != wantType {
				t.Errorf("object checksum type = %s; want %s", got, wantType)
			}
		})
	}
}

// composite is the COMPOSITE checksum of parts, computed from their bytes.
func composite(a checksum.Algorithm, parts [][]byte) checksum.Value {
	var sums []checksum.Value
	for _, p := range parts {
		sums = append(sums, checksum.Of(a, p))
	}
	v, err := checksum.Composite(a, sums)
	if err != nil {
		panic(err)
	}
	return v
}

func TestCreateUploadChecksumTypeErrors(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for _, tt := range []struct {
		alg checksum.Algorithm
		typ checksum.Type
	}{
		{checksum.SHA256, checksum.TypeFullObject},
		{checksum.SHA1, checksum.TypeFullObject},
		{checksum.CRC64NVME, checksum.TypeComposite},
		{"", checksum.TypeFullObject},
		{"", checksum.TypeComposite},
		{checksum.CRC32, "FULL"},
	} {
		_, err := s.CreateUpload(ctx, Upload{Bucket: testBucket, Key: "k", ChecksumAlgorithm: tt.alg, ChecksumType: tt.typ})
		if !errors.Is(err, ErrChecksumType) {
			t.Errorf("CreateUpload(%q, %q) = %v; want ErrChecksumType", tt.alg, tt.typ, err)
		}
	}
	if page, _ := s.ListUploads(ctx, testBucket, ListUploadsOptions{}); len(page.Uploads) != 0 {
		t.Errorf("refused creations left uploads: %+v", page.Uploads)
	}
}

// A completion of an upload with an algorithm names the first part listed
// without its checksum.
func TestMultipartMissingPartChecksum(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	parts := checksumParts()
	for _, typ := range []checksum.Type{checksum.TypeComposite, checksum.TypeFullObject} {
		key := "missing-" + string(typ)
		u, err := s.CreateUpload(ctx, Upload{Bucket: testBucket, Key: key, ChecksumAlgorithm: checksum.CRC32C, ChecksumType: typ})
		if err != nil {
			t.Fatal(err)
		}
		var list []CompletePart
		for n, body := range parts {
			p := mustPutPart(t, s, u, n+1, body)
			list = append(list, CompletePart{Number: n + 1, ETag: p.ETag, Checksum: p.Checksum.Encoded})
		}
		list[1].Checksum = ""
		_, err = s.CompleteUpload(ctx, testBucket, key, u.UploadID, list, PutOptions{})
		var missing *MissingPartChecksumError
		if !errors.As(err, &missing) || !errors.Is(err, ErrMissingPartChecksum) ||
			missing.Part != 2 || missing.Algorithm != checksum.CRC32C {
			t.Errorf("%s: CompleteUpload = %v; want part 2 missing its CRC32C", typ, err)
		}
		// A wrong part checksum is still InvalidPart.
		list[1].Checksum = list[0].Checksum
		if _, err := s.CompleteUpload(ctx, testBucket, key, u.UploadID, list, PutOptions{}); !errors.Is(err, ErrInvalidPart) {
			t.Errorf("%s: CompleteUpload with a wrong part checksum = %v; want ErrInvalidPart", typ, err)
		}
	}
}

// A part of an upload with no algorithm gets a CRC64NVME beside whatever
// checksum its client asked for. PutPart returns it when nothing was
// asked for; ListParts never shows it; a completion may list it.
func TestMultipartDefaultChecksum(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	parts := checksumParts()
	u := mustCreateUpload(t, s, "default", "")

	// Part 1 as a client asking for CRC32 sends it, part 2 with no
	// checksum, part 3 asking for CRC64NVME itself.
	asked := []checksum.Algorithm{checksum.CRC32, "", checksum.CRC64NVME}
	var list []CompletePart
	for n, body := range parts {
		p, err := s.PutPart(ctx, testBucket, "default", u.UploadID, n+1, bytes.NewReader(body),
			PutOptions{Size: int64(len(body)), ChecksumAlgorithm: asked[n]})
		if err != nil {
			t.Fatal(err)
		}
		want := checksum.Of(checksum.CRC64NVME, body)
		if asked[n] != "" {
			want = checksum.Of(asked[n], body)
		}
		if p.Checksum != want {
			t.Errorf("PutPart %d checksum = %v; want %v", n+1, p.Checksum, want)
		}
		list = append(list, CompletePart{Number: n + 1, ETag: p.ETag, Checksum: p.Checksum.Encoded})
	}
	listed, _, err := s.ListParts(ctx, testBucket, "default", u.UploadID, ListPartsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range listed {
		var want checksum.Value
		if asked[i] != "" {
			want = checksum.Of(asked[i], parts[i])
		}
		if p.Checksum != want {
			t.Errorf("ListParts part %d checksum = %v; want %v", p.Number, p.Checksum, want)
		}
	}
	m, err := s.CompleteUpload(ctx, testBucket, "default", u.UploadID, list, PutOptions{})
	if err != nil {
		t.Fatalf("CompleteUpload listing the parts' checksums: %v", err)
	}
	if want := checksum.Of(checksum.CRC64NVME, bytes.Join(parts, nil)); m.Checksum != want {
		t.Errorf("object checksum = %v; want %v", m.Checksum, want)
	}
}

// Uploads and parts stored before the checksum type and the default CRC
// were kept: an upload's type is its algorithm's default, and an upload
// with no algorithm whose parts lack the CRC completes without a checksum.
func TestMultipartLegacyRows(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	parts := checksumParts()
	legacy := func(q string, args ...any) {
		t.Helper()
		if err := s.db.Write(ctx, func(tx *meta.Tx) error { _, err := tx.ExecContext(bg, q, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}

	u := mustCreateUpload(t, s, "old-crc64", checksum.CRC64NVME)
	legacy("UPDATE uploads SET checksum_type = '' WHERE id = ?", u.UploadID)
	if got, err := s.GetUpload(ctx, testBucket, "old-crc64", u.UploadID); err != nil || got.ChecksumType != checksum.TypeFullObject {
		t.Errorf("legacy CRC64NVME upload type = %q, %v; want FULL_OBJECT", got.ChecksumType, err)
	}

	u = mustCreateUpload(t, s, "old-none", "")
	var list []CompletePart
	for n, body := range parts {
		p := mustPutPart(t, s, u, n+1, body)
		list = append(list, CompletePart{Number: n + 1, ETag: p.ETag})
	}
	legacy("UPDATE parts SET crc64nvme = '' WHERE upload_id = ? AND number = 2", u.UploadID)
	m, err := s.CompleteUpload(ctx, testBucket, "old-none", u.UploadID, list, PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Checksum.IsZero() {
		t.Errorf("object checksum = %v; want none when a part has no CRC64NVME", m.Checksum)
	}
}

// A store opened on a database of the schema before the checksum columns
// migrates it, and the uploads already there keep working.
func TestMultipartSchemaUpgrade(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "objstore", migrations[:1]); err != nil {
		t.Fatal(err)
	}
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO buckets (name, owner, region, created_at) VALUES ('b', 'o', 'r', 0);
		INSERT INTO uploads (id, bucket, key, initiated, checksum_algorithm, meta) VALUES ('up', 'b', 'k', 1, 'CRC32', '{}')`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := openTestStore(t, dir)
	u, err := s.GetUpload(ctx, "b", "k", "up")
	typ := u.ChecksumType
	if err != nil || u.ChecksumAlgorithm != checksum.CRC32 || typ != checksum.TypeComposite {
		t.Fatalf("old upload after the upgrade = %+v, %q, %v; want CRC32 COMPOSITE", u, typ, err)
	}
	p, err := s.PutPart(ctx, "b", "k", "up", 1, strings.NewReader("hello\n"), PutOptions{Size: 6})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.CompleteUpload(ctx, "b", "k", "up", []CompletePart{{Number: 1, ETag: p.ETag, Checksum: p.Checksum.Encoded}}, PutOptions{})
	if err != nil || m.Checksum.Type() != checksum.TypeComposite {
		t.Errorf("CompleteUpload = %v, %v; want a COMPOSITE checksum", m.Checksum, err)
	}
}

// ListUploads with a delimiter rolls keys up as ListMultipartUploads does: one
// common prefix per delimited group, counted once against MaxUploads,
// and a common prefix as KeyMarker skips its uploads.
func TestListUploadsDelimiter(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	tick := int64(0)
	base := s.now()
	s.now = func() time.Time { tick++; return base.Add(time.Duration(tick) * time.Second) }

	ids := map[string][]string{}
	for _, k := range []string{"a", "photos/2024/x", "photos/2025/y", "photos/2025/y", "photos/z", "videos/1", "zeta", "photos/2025/y"} {
		ids[k] = append(ids[k], mustCreateUpload(t, s, k, "").UploadID)
	}
	tests := []struct {
		name       string
		opts       ListUploadsOptions
		delim      string
		want       string // uploads as key#n (n-th upload of the key), prefixes as "cp:"
		truncated  bool
		nextKey    string
		nextUpload string
	}{
		{"no delimiter", ListUploadsOptions{MaxUploads: 3}, "", "a#0 photos/2024/x#0 photos/2025/y#0", true, "photos/2025/y", ids["photos/2025/y"][0]},
		{"top level", ListUploadsOptions{}, "/", "a#0 cp:photos/ cp:videos/ zeta#0", false, "zeta", ids["zeta"][0]},
		{"prefix", ListUploadsOptions{Prefix: "photos/"}, "/", "cp:photos/2024/ cp:photos/2025/ photos/z#0", false, "photos/z", ids["photos/z"][0]},
		{"prefix without the delimiter", ListUploadsOptions{Prefix: "photos"}, "/", "cp:photos/", false, "photos/", ""},
		{"prefix counts once", ListUploadsOptions{MaxUploads: 2}, "/", "a#0 cp:photos/", true, "photos/", ""},
		{"common prefix marker", ListUploadsOptions{KeyMarker: "photos/", MaxUploads: 1}, "/", "cp:videos/", true, "videos/", ""},
		{"marker inside a prefix", ListUploadsOptions{KeyMarker: "photos/2025/y", UploadIDMarker: ids["photos/2025/y"][0]}, "/",
			"cp:videos/ zeta#0", false, "zeta", ids["zeta"][0]},
		{"marker inside, no delimiter", ListUploadsOptions{KeyMarker: "photos/2025/y", UploadIDMarker: ids["photos/2025/y"][1]}, "",
			"photos/2025/y#2 photos/z#0 videos/1#0 zeta#0", false, "zeta", ids["zeta"][0]},
		{"multi-byte delimiter", ListUploadsOptions{}, "/20", "a#0 cp:photos/20 photos/z#0 videos/1#0 zeta#0", false, "zeta", ids["zeta"][0]},
		{"exact fit is not truncated", ListUploadsOptions{MaxUploads: 4}, "/", "a#0 cp:photos/ cp:videos/ zeta#0", false, "zeta", ids["zeta"][0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Delimiter = tt.delim
			page, err := s.ListUploads(ctx, testBucket, opts)
			if err != nil {
				t.Fatal(err)
			}
			// Merge uploads and prefixes back into key order.
			var got []string
			ui, ci := 0, 0
			for ui < len(page.Uploads) || ci < len(page.CommonPrefixes) {
				if ci == len(page.CommonPrefixes) || ui < len(page.Uploads) && page.Uploads[ui].Key < page.CommonPrefixes[ci] {
					u := page.Uploads[ui]
					got = append(got, fmt.Sprintf("%s#%d", u.Key, slices.Index(ids[u.Key], u.UploadID)))
					ui++
				} else {
					got = append(got, "cp:"+page.CommonPrefixes[ci])
					ci++
				}
			}
			if strings.Join(got, " ") != tt.want || page.IsTruncated != tt.truncated ||
				page.NextKeyMarker != tt.nextKey || page.NextUploadIDMarker != tt.nextUpload {
				t.Errorf("ListUploads = %q truncated %v next %q %q; want %q %v %q %q",
					strings.Join(got, " "), page.IsTruncated, page.NextKeyMarker, page.NextUploadIDMarker,
					tt.want, tt.truncated, tt.nextKey, tt.nextUpload)
			}
		})
	}

	// Paging with the returned markers visits every entry once.
	var seen []string
	opts := ListUploadsOptions{MaxUploads: 1, Delimiter: "/"}
	for range 20 {
		page, err := s.ListUploads(ctx, testBucket, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Uploads {
			seen = append(seen, u.Key)
		}
		seen = append(seen, page.CommonPrefixes...)
		if !page.IsTruncated {
			break
		}
		opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
	if got := strings.Join(seen, " "); got != "a photos/ videos/ zeta" {
		t.Errorf("paged one at a time: %q", got)
	}
}
