package tables

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"inlet/internal/catalog"
)

// genReader makes rows of testFields on the fly, batch by batch, so the
// input itself takes no memory.
type genReader struct {
	refs      atomic.Int64
	schema    *arrow.Schema
	rows, at  int64
	batchRows int64
	cur       arrow.RecordBatch
	bytes     int64 // Arrow bytes made so far
}

// padding makes the generated strings about 100 bytes long.
var padding = " " + strings.Repeat("0123456789", 9)

func newGenReader(rows, batchRows int64) *genReader {
	g := &genReader{schema: ArrowSchema(testFields), rows: rows, batchRows: batchRows}
	g.refs.Add(1)
	return g
}

func (g *genReader) Retain()                        { g.refs.Add(1) }
func (g *genReader) Schema() *arrow.Schema          { return g.schema }
func (g *genReader) RecordBatch() arrow.RecordBatch { return g.cur }
func (g *genReader) Record() arrow.RecordBatch      { return g.cur }
func (g *genReader) Err() error                     { return nil }
func (g *genReader) Release() {
	if g.refs.Add(-1) == 0 && g.cur != nil {
		g.cur.Release()
		g.cur = nil
	}
}

func (g *genReader) Next() bool {
	if g.cur != nil {
		g.cur.Release()
		g.cur = nil
	}
	if g.at >= g.rows {
		return false
	}
	n := min(g.batchRows, g.rows-g.at)
	b := array.NewRecordBuilder(memory.DefaultAllocator, g.schema)
	defer b.Release()
	b.Reserve(int(n))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := g.at; i < g.at+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(i)
		b.Field(1).(*array.StringBuilder).Append(strconv.FormatInt(i, 10) + padding)
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 7)
		b.Field(3).(*array.BooleanBuilder).Append(i%3 == 0)
		b.Field(4).(*array.Date32Builder).Append(arrow.Date32(20000 + i%365))
		b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(base + i*1000))
	}
	g.at += n
	g.cur = b.NewRecordBatch()
	g.bytes += recordBytes(g.cur)
	return true
}

// TestCommitStreamsFlat commits two million rows (about 250 MiB of Arrow)
// made on the fly and checks that the heap stays small meanwhile: the input is
// streamed, not loaded.
func TestCommitStreamsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a million rows")
	}
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 1, testFields); err != nil {
		t.Fatal(err)
	}
	const rows = 2_000_000
	const (
		liveLimit  = 96 << 20  // live heap after a GC
		inuseLimit = 128 << 20 // heap in use, garbage included
	)

	// Without a limit the GC lets garbage grow as large as the live heap
	// (GOGC=100), and more while it runs: that is GC pacing, not
	// streaming. A soft limit, as GOMEMLIMIT sets in production, makes it
	// collect sooner instead. A commit whose live heap grew with its input
	// would fail either check.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(100 << 20))

	var peakLive, peakInuse atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			metrics.Read(live)
			peakInuse.Store(max(peakInuse.Load(), ms.HeapInuse))
			peakLive.Store(max(peakLive.Load(), live[0].Value.Uint64()))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})

	rdr := newGenReader(rows, 8192)
	defer rdr.Release()
	snap, err := c.Commit(ctx, 1, fromArrow(rdr), catalog.WriteAppend, map[string]string{"inlet.file-set": "big"})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("input %d MiB of Arrow; peak live heap %.1f MiB, peak heap in use %.1f MiB",
		rdr.bytes>>20, float64(peakLive.Load())/(1<<20), float64(peakInuse.Load())/(1<<20))
	if rdr.bytes < 2*liveLimit {
		t.Fatalf("input of %d MiB proves nothing against %d MiB", rdr.bytes>>20, liveLimit>>20)
	}
	if peakLive.Load() > liveLimit {
		t.Errorf("peak live heap = %d MiB; want under %d MiB", peakLive.Load()>>20, liveLimit>>20)
	}
	if peakInuse.Load() > inuseLimit {
		t.Errorf("peak heap in use = %d MiB; want under %d MiB", peakInuse.Load()>>20, inuseLimit>>20)
	}

	snaps, err := c.Snapshots(ctx, 1)
	if err != nil || len(snaps) != 1 || snaps[0].ID != snap {
		t.Fatalf("snapshots = %+v, %v", snaps, err)
	}
	if got := snaps[0].Summary["added-records"]; got != strconv.Itoa(rows) {
		t.Errorf("added-records = %s; want %d", got, rows)
	}
	_, last, err := c.Scan(ctx, 1, 1, rows-1)
	if err != nil || len(last) != 1 || last[0][0] != int64(rows-1) {
		t.Errorf("last row = %v, %v; want id %d", last, err, rows-1)
	}
}

// BenchmarkCommit measures Commit's throughput in bytes of Arrow input
// written as Parquet and committed, 200k rows per commit.
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	c := newCatalog(b)
	if _, err := c.CreateTable(ctx, 1, testFields); err != nil {
		b.Fatal(err)
	}
	var recs []arrow.RecordBatch
	var size int64
	gen := newGenReader(200_000, 8192)
	for gen.Next() {
		rec := gen.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
		size += recordBytes(rec)
	}
	gen.Release()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()

	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		rdr, err := array.NewRecordReader(ArrowSchema(testFields), recs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Commit(ctx, 1, fromArrow(rdr), catalog.WriteAppend, nil); err != nil {
			b.Fatal(err)
		}
		rdr.Release()
	}
}

// recordBytes adds up the sizes of a record's buffers. Written here rather
// than taken from arrow/util, whose package pulls in a protobuf dependency.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		for _, buf := range col.Data().Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return n
}
