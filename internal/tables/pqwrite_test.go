package tables

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
)

// genBatches makes rows of testFields in batches of ingest's layout, with
// nulls in every optional column at random places, and keeps what it made.
type genBatches struct {
	rnd        *rand.Rand
	rows, at   int
	batchRows  int
	want       [][]any // per row, the values as parquet-go reads them
	nullChance float64
}

func (g *genBatches) Next() (*ingest.Batch, error) {
	if g.at >= g.rows {
		return nil, io.EOF
	}
	n := min(g.batchRows, g.rows-g.at)
	b := &ingest.Batch{Rows: n, Columns: make([]ingest.Column, len(testFields))}
	for i, f := range testFields {
		b.Columns[i] = ingest.Column{Name: f.Name, Type: f.Type, Offsets: []int32{0}}
	}
	cols := b.Columns
	for r := range n {
		id := int64(g.at + r)
		row := make([]any, len(testFields))
		null := func() bool { return g.rnd.Float64() < g.nullChance }

		cols[0].Valid = append(cols[0].Valid, true)
		cols[0].Int64 = append(cols[0].Int64, id*7-3000)
		row[0] = id*7 - 3000

		s := strings.Repeat(string(rune('a'+g.rnd.IntN(26))), g.rnd.IntN(40)) + fmt.Sprint(id)
		if id%1000 == 17 {
			s = "" // an empty string is a value, not a null
		}
		if null() {
			cols[1].Valid = append(cols[1].Valid, false)
		} else {
			cols[1].Valid = append(cols[1].Valid, true)
			cols[1].Bytes = append(cols[1].Bytes, s...)
			row[1] = s
		}
		cols[1].Offsets = append(cols[1].Offsets, int32(len(cols[1].Bytes)))

		score := g.rnd.NormFloat64() * 1e6
		if null() {
			cols[2].Valid, cols[2].Float64 = append(cols[2].Valid, false), append(cols[2].Float64, 0)
		} else {
			cols[2].Valid, cols[2].Float64 = append(cols[2].Valid, true), append(cols[2].Float64, score)
			row[2] = score
		}

		ok := g.rnd.IntN(3) == 0
		if null() {
			cols[3].Valid, cols[3].Bool = append(cols[3].Valid, false), append(cols[3].Bool, false)
		} else {
			cols[3].Valid, cols[3].Bool = append(cols[3].Valid, true), append(cols[3].Bool, ok)
			row[3] = ok
		}

		day := int32(g.rnd.IntN(40000) - 20000)
		if null() {
			cols[4].Valid, cols[4].Int32 = append(cols[4].Valid, false), append(cols[4].Int32, 0)
		} else {
			cols[4].Valid, cols[4].Int32 = append(cols[4].Valid, true), append(cols[4].Int32, day)
			row[4] = day
		}

		at := g.rnd.Int64N(1<<50) - 1<<49
		if null() {
			cols[5].Valid, cols[5].Int64 = append(cols[5].Valid, false), append(cols[5].Int64, 0)
		} else {
			cols[5].Valid, cols[5].Int64 = append(cols[5].Valid, true), append(cols[5].Int64, at)
			row[5] = at
		}
		g.want = append(g.want, row)
	}
	g.at += n
	return b, nil
}

// TestWriterPagesAndCodecs writes many small pages, row groups and files
// with each codec, with nulls in runs and alone, and reads every value
// back with parquet-go (another implementation than the writer) and with
// iceberg-go's scan; the files' Iceberg metrics must match the values.
func TestWriterPagesAndCodecs(t *testing.T) {
	old := pageBytes
	pageBytes = 2 << 10
	t.Cleanup(func() { pageBytes = old })

	for _, codec := range []string{"snappy", "zstd", "uncompressed"} {
		for _, nulls := range []float64{0, 0.3, 1} {
			t.Run(fmt.Sprintf("%s/nulls=%v", codec, nulls), func(t *testing.T) {
				ctx := context.Background()
				c := newCatalog(t)
				c.codec = codec
				c.rowGroupBytes = 20 << 10
				c.targetFileBytes = 100 << 10
				if _, err := c.CreateTable(ctx, 1, testFields); err != nil {
					t.Fatal(err)
				}
				g := &genBatches{rnd: rand.New(rand.NewPCG(1, uint64(nulls*10))), rows: 5000,
					batchRows: 777, nullChance: nulls}
				if _, err := c.Commit(ctx, 1, g, catalog.WriteAppend, nil); err != nil {
					t.Fatal(err)
				}
				files := dataFiles(t, c, 1)
				if len(files) < 2 && nulls < 1 {
					t.Errorf("%d data files; want the writer to roll files", len(files))
				}
				var got [][]any
				for _, f := range files {
					codecs := checkChunkStats(t, f)
					// Random instants do not compress: they are stored
					// as they are; ids in order do.
					if nulls < 1 && codec != "uncompressed" &&
						(codecs["at"] != "UNCOMPRESSED" || codecs["id"] != strings.ToUpper(codec)) {
						t.Errorf("%s: codecs %v; want at UNCOMPRESSED, id %s", f, codecs, codec)
					}
					_, rows := readParquet(t, f)
					for _, r := range rows {
						vals := make([]any, len(testFields))
						for _, v := range r {
							vals[v.Column()] = cell(v)
						}
						got = append(got, vals)
					}
				}
				if len(got) != len(g.want) {
					t.Fatalf("parquet-go read %d rows; want %d", len(got), len(g.want))
				}
				// Files are listed by name, not in write order: match by id.
				byID := map[int64][]any{}
				for _, r := range got {
					byID[r[0].(int64)] = r
				}
				for _, w := range g.want {
					if r := byID[w[0].(int64)]; !reflect.DeepEqual(r, w) {
						t.Fatalf("row id %v = %v; want %v", w[0], r, w)
					}
				}
				if n := len(scanAll(t, c, 1)); n != len(g.want) {
					t.Errorf("iceberg-go scan: %d rows; want %d", n, len(g.want))
				}
				checkMetrics(t, c, g.want)
			})
		}
	}
}

// checkChunkStats compares the statistics of every column chunk of a
// file with the chunk's values, read with parquet-go: the null count, and
// min and max exactly, as engines skip row groups by them (neither when
// a string min or max is longer than maxStatBytes). It returns the codec
// of each column's chunks.
func checkChunkStats(t *testing.T, path string) map[string]string {
	t.Helper()
	pf := openParquet(t, path)
	codecs := map[string]string{}
	for g, rg := range pf.RowGroups() {
		meta := pf.Metadata().RowGroups[g]
		for c, chunk := range rg.ColumnChunks() {
			typ := testFields[c].Type
			var nulls int64
			var lo, hi []byte
			order := func(a, b []byte) int {
				switch typ {
				case catalog.TypeString:
					return bytes.Compare(a, b)
				case catalog.TypeDouble:
					x, y := math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b))
					return cmp.Compare(x, y)
				case catalog.TypeDate:
					return cmp.Compare(int32(binary.LittleEndian.Uint32(a)), int32(binary.LittleEndian.Uint32(b)))
				case catalog.TypeBoolean:
					return cmp.Compare(a[0], b[0])
				default:
					return cmp.Compare(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
				}
			}
			pages := chunk.Pages()
			for {
				p, err := pages.ReadPage()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				vals := make([]parquet.Value, p.NumValues())
				n, _ := p.Values().ReadValues(vals)
				for _, v := range vals[:n] {
					if v.IsNull() {
						nulls++
						continue
					}
					var b []byte
					switch typ {
					case catalog.TypeString:
						b = bytes.Clone(v.ByteArray())
					case catalog.TypeBoolean:
						b = []byte{0}
						if v.Boolean() {
							b[0] = 1
						}
					case catalog.TypeDate:
						b = binary.LittleEndian.AppendUint32(nil, uint32(v.Int32()))
					case catalog.TypeDouble:
						b = binary.LittleEndian.AppendUint64(nil, math.Float64bits(v.Double()))
					default:
						b = binary.LittleEndian.AppendUint64(nil, uint64(v.Int64()))
					}
					if lo == nil || order(b, lo) < 0 {
						lo = b
					}
					if hi == nil || order(b, hi) > 0 {
						hi = b
					}
				}
				parquet.Release(p)
			}
			pages.Close()
			if typ == catalog.TypeString && (len(lo) > maxStatBytes || len(hi) > maxStatBytes) {
				lo, hi = nil, nil // too long for the statistics: there are none
			}
			codecs[testFields[c].Name] = meta.Columns[c].MetaData.Codec.String()
			got := meta.Columns[c].MetaData.Statistics
			if got.NullCount != nulls || !bytes.Equal(got.MinValue, lo) || !bytes.Equal(got.MaxValue, hi) {
				t.Errorf("%s row group %d column %s: stats nulls %d min %x max %x; values have %d, %x, %x",
					path, g, testFields[c].Name, got.NullCount, got.MinValue, got.MaxValue, nulls, lo, hi)
			}
		}
	}
	return codecs
}

// checkMetrics compares the data files' Iceberg metrics, as the table's
// manifests hold them, with the rows: counts over all files, and every
// row within its file's bounds (a file's bounds are checked to be the
// tightest for the long and the date columns).
func checkMetrics(t *testing.T, c *Catalog, want [][]any) {
	t.Helper()
	tbl, err := c.load(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var records int64
	values := map[int]int64{}
	nulls := map[int]int64{}
	for _, task := range tasks {
		df := task.File
		records += df.Count()
		for id, n := range df.ValueCounts() {
			values[id] += n
		}
		for id, n := range df.NullValueCounts() {
			nulls[id] += n
		}
		lo, hi := df.LowerBoundValues(), df.UpperBoundValues()
		if len(df.SplitOffsets()) == 0 {
			t.Errorf("%s: no split offsets", df.FilePath())
		}
		// The id bounds say which rows are in this file.
		if lo[1] == nil || hi[1] == nil {
			t.Fatalf("%s: no bounds for id", df.FilePath())
		}
		idLo, idHi := int64(binary.LittleEndian.Uint64(lo[1])), int64(binary.LittleEndian.Uint64(hi[1]))
		var dayLo, dayHi int32 = math.MaxInt32, math.MinInt32
		for _, r := range want {
			id := r[0].(int64)
			if id < idLo || id > idHi {
				continue
			}
			if s, ok := r[1].(string); ok {
				if bytes.Compare([]byte(s), lo[2]) < 0 || hi[2] != nil && bytes.Compare([]byte(s), hi[2]) > 0 {
					t.Errorf("%s: name %q outside the bounds [%q, %q]", df.FilePath(), s, lo[2], hi[2])
				}
			}
			if v, ok := r[2].(float64); ok {
				if v < math.Float64frombits(binary.LittleEndian.Uint64(lo[3])) ||
					v > math.Float64frombits(binary.LittleEndian.Uint64(hi[3])) {
					t.Errorf("%s: score %v outside the bounds", df.FilePath(), v)
				}
			}
			if d, ok := r[4].(int32); ok {
				dayLo, dayHi = min(dayLo, d), max(dayHi, d)
			}
		}
		if dayLo <= dayHi {
			gotLo, gotHi := int32(binary.LittleEndian.Uint32(lo[5])), int32(binary.LittleEndian.Uint32(hi[5]))
			if gotLo != dayLo || gotHi != dayHi {
				t.Errorf("%s: day bounds [%d, %d]; want [%d, %d]", df.FilePath(), gotLo, gotHi, dayLo, dayHi)
			}
		} else if lo[5] != nil {
			t.Errorf("%s: day bounds with no day in the file", df.FilePath())
		}
	}
	if records != int64(len(want)) {
		t.Errorf("record count %d; want %d", records, len(want))
	}
	for col := range testFields {
		var n int64
		for _, r := range want {
			if r[col] == nil {
				n++
			}
		}
		id := col + 1
		if values[id] != int64(len(want)) || nulls[id] != n {
			t.Errorf("column %s: %d values, %d nulls; want %d, %d", testFields[col].Name,
				values[id], nulls[id], len(want), n)
		}
	}
}

// A required column with a null in a batch is refused, not written.
func TestWriterRequiredNull(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 1, testFields); err != nil {
		t.Fatal(err)
	}
	g := &genBatches{rnd: rand.New(rand.NewPCG(1, 2)), rows: 10, batchRows: 10}
	b, _ := g.Next()
	b.Columns[0].Valid[3] = false
	_, err := c.Commit(ctx, 1, &oneBatch{b: b}, catalog.WriteAppend, nil)
	if err == nil || !strings.Contains(err.Error(), `"id" is required`) {
		t.Fatalf("Commit with a null id = %v; want an error naming the column", err)
	}
	if files := dataFiles(t, c, 1); len(files) != 0 {
		t.Errorf("data files after a refused commit: %v", files)
	}
}

type oneBatch struct {
	b    *ingest.Batch
	done bool
}

func (o *oneBatch) Next() (*ingest.Batch, error) {
	if o.done {
		return nil, io.EOF
	}
	o.done = true
	return o.b, nil
}

func TestTruncateBounds(t *testing.T) {
	for _, tc := range []struct {
		in, lo, hi string
		hiOK       bool
	}{
		{"short", "short", "short", true},
		{"abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop", "abcdefghijklmnoq", true},
		{strings.Repeat("é", 17), strings.Repeat("é", 16), strings.Repeat("é", 15) + "ê", true},
		{strings.Repeat("\U0010FFFF", 17), strings.Repeat("\U0010FFFF", 16), "", false},
		{"a" + strings.Repeat("\U0010FFFF", 17), "a" + strings.Repeat("\U0010FFFF", 15), "b", true},
		{strings.Repeat("\uD7FF", 17), strings.Repeat("\uD7FF", 16), strings.Repeat("\uD7FF", 15) + "\uE000", true},
	} {
		if got := string(truncateLower([]byte(tc.in), boundChars)); got != tc.lo {
			t.Errorf("truncateLower(%q) = %q; want %q", tc.in, got, tc.lo)
		}
		hi, ok := truncateUpper([]byte(tc.in), boundChars)
		if ok != tc.hiOK || ok && string(hi) != tc.hi {
			t.Errorf("truncateUpper(%q) = %q, %v; want %q, %v", tc.in, hi, ok, tc.hi, tc.hiOK)
		}
		if ok && string(hi) < tc.in {
			t.Errorf("truncateUpper(%q) = %q is below the value", tc.in, hi)
		}
	}
}

// The string statistics skip values by their first eight bytes: the
// shortcut must agree with a full comparison, zero bytes and short
// strings included.
func TestStringStatsShortcut(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte{0, 1, 'a', 'b', 0xff}
	for range 200 {
		var s stats
		var lo, hi []byte
		for range 50 {
			v := make([]byte, rnd.IntN(11))
			for i := range v {
				v[i] = alphabet[rnd.IntN(len(alphabet))]
			}
			s.str(v)
			if lo == nil || bytes.Compare(v, lo) < 0 {
				lo = v
			}
			if hi == nil || bytes.Compare(v, hi) > 0 {
				hi = v
			}
		}
		if !bytes.Equal(s.smin, lo) || !bytes.Equal(s.smax, hi) {
			t.Fatalf("stats min %x max %x; want %x, %x", s.smin, s.smax, lo, hi)
		}
	}
}
