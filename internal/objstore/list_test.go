package objstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"inlet/internal/meta"
)

// bulkInsert indexes zero-byte objects directly, in one transaction: far
// faster than PutObject for the listing tests, and the same rows.
func bulkInsert(t testing.TB, s *Store, keys []string) {
	t.Helper()
	if len(keys) > 1 {
		bulkInsert(t, s, keys[:1]) // the writer prepares the statement after this commit
		keys = keys[1:]
	}
	err := s.db.Write(context.Background(), func(tx *meta.Tx) error {
		for _, k := range keys {
			_, err := tx.ExecContext(bg, "INSERT OR REPLACE INTO objects (bucket, key, "+objectCols+
				") VALUES (?, ?, 0, 'd41d8cd98f00b204e9800998ecf8427e', 1, '', '', '', NULL, '', '{}')",
				testBucket, k)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bulk insert: %v", err)
	}
}

// page is a ListResult reduced to what the tests compare.
type page struct {
	Keys      []string
	Prefixes  []string
	Truncated bool
}

func (p page) String() string {
	return fmt.Sprintf("{keys %q prefixes %q truncated %v}", p.Keys, p.Prefixes, p.Truncated)
}

func listPage(t testing.TB, s *Store, o ListOptions) (page, ListResult) {
	t.Helper()
	res, err := s.ListObjects(context.Background(), testBucket, o)
	if err != nil {
		t.Fatalf("ListObjects(%+v): %v", o, err)
	}
	var p page
	for _, m := range res.Objects {
		p.Keys = append(p.Keys, m.Key)
	}
	p.Prefixes = res.CommonPrefixes
	p.Truncated = res.IsTruncated
	return p, res
}

// listAll pages through a listing with NextMarker as StartAfter.
func listAll(t testing.TB, s *Store, o ListOptions) (pages []page) {
	t.Helper()
	for range 100000 {
		p, res := listPage(t, s, o)
		pages = append(pages, p)
		if !res.IsTruncated {
			return pages
		}
		if res.NextMarker == "" || res.NextMarker <= o.StartAfter {
			t.Fatalf("NextMarker %q does not advance past %q", res.NextMarker, o.StartAfter)
		}
		o.StartAfter = res.NextMarker
	}
	t.Fatal("listing does not end")
	return nil
}

// The scenario of case 11 (testdata/cases/inputs/11-list-delimiter.requests.txt).
func TestListDelimiterCase11(t *testing.T) {
	s := newTestStore(t)
	const R = "ingestion/datasets/version=1/datasetId=ds-0001/"
	for _, k := range []string{"2025-01-15/a.csv", "2025-01-15/b.csv", "2025-01-16/a.csv",
		"2025-01-16/sub/c.csv", "2025-01-17/a.csv", "readme.txt"} {
		mustPut(t, s, R+k, []byte(k))
	}

	tests := []struct {
		name string
		opts ListOptions
		want []page
	}{
		{"1 prefix and delimiter", ListOptions{Prefix: R, Delimiter: "/", MaxKeys: 1000}, []page{
			{Keys: []string{R + "readme.txt"}, Prefixes: []string{R + "2025-01-15/", R + "2025-01-16/", R + "2025-01-17/"}},
		}},
		{"2 max-keys 2", ListOptions{Prefix: R, Delimiter: "/", MaxKeys: 2}, []page{
			{Prefixes: []string{R + "2025-01-15/", R + "2025-01-16/"}, Truncated: true},
			{Keys: []string{R + "readme.txt"}, Prefixes: []string{R + "2025-01-17/"}},
		}},
		{"3 max-keys 3", ListOptions{Prefix: R, Delimiter: "/", MaxKeys: 3}, []page{
			{Prefixes: []string{R + "2025-01-15/", R + "2025-01-16/", R + "2025-01-17/"}, Truncated: true},
			{Keys: []string{R + "readme.txt"}},
		}},
		{"4 max-keys 0", ListOptions{Prefix: R, Delimiter: "/", MaxKeys: 0}, []page{{}}},
		{"5 prefix without trailing slash", ListOptions{Prefix: R + "2025-01-1", Delimiter: "/", MaxKeys: 1000}, []page{
			{Prefixes: []string{R + "2025-01-15/", R + "2025-01-16/", R + "2025-01-17/"}},
		}},
		{"6 sub-prefix", ListOptions{Prefix: R + "2025-01-16/", Delimiter: "/", MaxKeys: 1000}, []page{
			{Keys: []string{R + "2025-01-16/a.csv"}, Prefixes: []string{R + "2025-01-16/sub/"}},
		}},
		{"7 start-after", ListOptions{StartAfter: R + "2025-01-15/b.csv", MaxKeys: 1}, []page{
			{Keys: []string{R + "2025-01-16/a.csv"}, Truncated: true},
			{Keys: []string{R + "2025-01-16/sub/c.csv"}, Truncated: true},
			{Keys: []string{R + "2025-01-17/a.csv"}, Truncated: true},
			{Keys: []string{R + "readme.txt"}},
		}},
		{"8 empty delimiter", ListOptions{Delimiter: "", MaxKeys: 1000}, []page{
			{Keys: []string{R + "2025-01-15/a.csv", R + "2025-01-15/b.csv", R + "2025-01-16/a.csv",
				R + "2025-01-16/sub/c.csv", R + "2025-01-17/a.csv", R + "readme.txt"}},
		}},
		{"marker is a common prefix",
			ListOptions{Prefix: R, Delimiter: "/", StartAfter: R + "2025-01-16/", MaxKeys: 1000}, []page{
				{Keys: []string{R + "readme.txt"}, Prefixes: []string{R + "2025-01-17/"}},
			}},
		{"no delimiter, max-keys 4", ListOptions{Prefix: R, MaxKeys: 4}, []page{
			{Keys: []string{R + "2025-01-15/a.csv", R + "2025-01-15/b.csv", R + "2025-01-16/a.csv",
				R + "2025-01-16/sub/c.csv"}, Truncated: true},
			{Keys: []string{R + "2025-01-17/a.csv", R + "readme.txt"}},
		}},
		{"prefix matches nothing", ListOptions{Prefix: R + "zzz", Delimiter: "/", MaxKeys: 10}, []page{{}}},
		{"start-after past everything", ListOptions{StartAfter: "zzz", MaxKeys: 10}, []page{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listAll(t, s, tt.opts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pages:\n got %v\nwant %v", got, tt.want)
			}
		})
	}

	// The objects in a page carry what a listing shows.
	_, res := listPage(t, s, ListOptions{Prefix: R + "readme", MaxKeys: 1})
	m := res.Objects[0]
	if m.Size != int64(len("readme.txt")) || m.ETag != md5hex([]byte("readme.txt")) ||
		m.Owner != "111111111111" || m.LastModified.IsZero() || m.Bucket != testBucket {
		t.Errorf("listed object = %+v", m)
	}
	if _, err := s.ListObjects(context.Background(), "nope", ListOptions{MaxKeys: 1}); err == nil {
		t.Error("ListObjects of a missing bucket succeeded")
	}
}

// oddKeys are keys that trip up S3 servers: escapes, separators, unicode,
// long keys and bytes near 0xFF.
var oddKeys = []string{
	"a=b", "with space", "plus+sign", "100%", "%2F", "%252B", "report 2025+final.csv",
	"日本語/ファイル.csv", "ü/ß", "a//b", "a//", "/leading", "//", "/", "..", "../etc/passwd", "a/../b",
	strings.Repeat("k", 1024), strings.Repeat("é", 512), "\uffff", "\U0010ffff", "\U0010ffff/x",
	"z\xff", "z\xff\xff", "z\xff/a", "\xff", "\xff\xff", "a\x7f", "a\x80", "tab\there", "new\nline",
	"a", "a/", "a/b", "a/b/c", "b",
}

func TestListOddKeys(t *testing.T) {
	s := newTestStore(t)
	for i, k := range oddKeys {
		body := []byte(fmt.Sprint("body ", i))
		mustPut(t, s, k, body)
		if got := mustGet(t, s, k, 0, -1); string(got) != string(body) {
			t.Errorf("GetObject(%q) = %q; want %q", k, got, body)
		}
	}
	keys := slices.Clone(oddKeys)
	slices.Sort(keys) // Go compares strings bytewise, as S3 orders keys

	for _, o := range listOptionsFor(keys) {
		want := refList(keys, o)
		got := listAll(t, s, o)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ListObjects(%+v):\n got %v\nwant %v", o, got, want)
		}
	}
}

// listOptionsFor returns listing options that probe keys: every prefix of
// a few keys, delimiters, markers, page sizes.
func listOptionsFor(keys []string) []ListOptions {
	prefixes := []string{"", "a", "a/", "z\xff", "\xff", "\xff\xff", "\U0010ffff", "/", "日", "%"}
	var out []ListOptions
	for _, p := range prefixes {
		for _, d := range []string{"", "/", "//", "\xff", "+"} {
			for _, max := range []int{1, 2, 3, 1000} {
				out = append(out, ListOptions{Prefix: p, Delimiter: d, MaxKeys: max})
			}
			for _, sa := range []string{"a", "a/", "z", "\xff", keys[len(keys)/2]} {
				out = append(out, ListOptions{Prefix: p, Delimiter: d, StartAfter: sa, MaxKeys: 2})
			}
		}
	}
	return out
}

// refList is the listing semantics written plainly over a sorted key list,
// paged the way listAll pages.
func refList(keys []string, o ListOptions) []page {
	var entries []string // keys and, marked with a leading 0 byte, prefixes
	var last string
	for _, k := range keys {
		if !strings.HasPrefix(k, o.Prefix) || k <= o.StartAfter {
			continue
		}
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp := k[:len(o.Prefix)+i+len(o.Delimiter)]
				if cp <= o.StartAfter || cp == last {
					continue
				}
				last = cp
				entries = append(entries, "\x00"+cp)
				continue
			}
		}
		entries = append(entries, k)
	}
	var pages []page
	for {
		var p page
		n := min(len(entries), o.MaxKeys)
		for _, e := range entries[:n] {
			if strings.HasPrefix(e, "\x00") {
				p.Prefixes = append(p.Prefixes, e[1:])
			} else {
				p.Keys = append(p.Keys, e)
			}
		}
		entries = entries[n:]
		p.Truncated = len(entries) > 0
		pages = append(pages, p)
		if !p.Truncated {
			return pages
		}
	}
}

func TestListRandomAgainstReference(t *testing.T) {
	s := newTestStore(t)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "/", "//", "\xff", "é", "x"}
	seen := map[string]bool{}
	var keys []string
	for len(keys) < 400 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		if k := b.String(); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	bulkInsert(t, s, keys)
	slices.Sort(keys)
	for _, o := range listOptionsFor(keys) {
		o.MaxKeys = max(o.MaxKeys, 7) // keep the page count reasonable
		want := refList(keys, o)
		if got := listAll(t, s, o); !reflect.DeepEqual(got, want) {
			t.Errorf("ListObjects(%+v):\n got %v\nwant %v", o, got, want)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a/", "a0", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"\xff\xff", "", false},
		{"é", "\xc3\xaa", true},
	}
	for _, tt := range tests {
		got, ok := prefixEnd(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// manyKeys returns n keys spread over dirs common prefixes:
// "dNNNN/fNNNNNN".
func manyKeys(n, dirs int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("d%04d/f%06d", i%dirs, i)
	}
	return keys
}

// TestList100k checks that a page costs the same with 100k keys as with
// 1k: both stores spread their keys over 1000 common prefixes (one key
// each in the small store, 100 in the large), so a page does the same work
// in both, and only the size of the index differs.
func TestList100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100k keys: skipped with -short")
	}
	small, large := newTestStore(t), newTestStore(t)
	bulkInsert(t, small, manyKeys(1000, 1000))
	bulkInsert(t, large, manyKeys(100000, 1000))

	tests := []struct {
		name         string
		small, large ListOptions
	}{
		{"no delimiter", ListOptions{MaxKeys: 1000}, ListOptions{MaxKeys: 1000, StartAfter: "d0500/"}},
		{"delimiter, 1000 prefixes", ListOptions{MaxKeys: 1000, Delimiter: "/"}, ListOptions{MaxKeys: 1000, Delimiter: "/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				s    *Store
				opts ListOptions
			}{{small, tt.small}, {large, tt.large}} {
				if p, _ := listPage(t, c.s, c.opts); len(p.Keys)+len(p.Prefixes) != 1000 {
					t.Fatalf("page has %d entries; want 1000", len(p.Keys)+len(p.Prefixes))
				}
			}
			tSmall := timeList(t, small, tt.small)
			tLarge := timeList(t, large, tt.large)
			t.Logf("page of 1000: 1k keys %v, 100k keys %v", tSmall, tLarge)
			if tLarge > 4*tSmall+5*time.Millisecond {
				t.Errorf("page with 100k keys took %v; with 1k %v", tLarge, tSmall)
			}
		})
	}

	// Paging through all 1000 prefixes visits each once; a prefix and a
	// delimiter list the keys under one.
	pages := listAll(t, large, ListOptions{MaxKeys: 300, Delimiter: "/"})
	var prefixes []string
	for _, p := range pages {
		prefixes = append(prefixes, p.Prefixes...)
	}
	if len(prefixes) != 1000 || !slices.IsSorted(prefixes) || len(slices.Compact(prefixes)) != 1000 {
		t.Errorf("paging by delimiter found %d prefixes", len(prefixes))
	}
	if p, _ := listPage(t, large, ListOptions{MaxKeys: 1000, Prefix: "d0500/", Delimiter: "/"}); len(p.Keys) != 100 {
		t.Errorf("prefix d0500/ lists %d keys; want 100", len(p.Keys))
	}
}

// timeList returns the best of a few runs of a listing.
func timeList(t testing.TB, s *Store, o ListOptions) time.Duration {
	best := time.Hour
	for range 5 {
		start := time.Now()
		listPage(t, s, o)
		best = min(best, time.Since(start))
	}
	return best
}
