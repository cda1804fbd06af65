package objstore

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"inlet/internal/meta"
)

// BenchmarkPut4KParallel runs 16 writers of distinct 4 KiB objects; each
// op is a durable, acknowledged PUT.
func BenchmarkPut4KParallel(b *testing.B) {
	s := newTestStore(b)
	body := pattern(4<<10, 1)
	var n atomic.Int64
	b.SetBytes(int64(len(body)))
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	before := s.db.WriteStats()
	b.ResetTimer()
	defer func() { reportBatching(b, before, s.db.WriteStats()) }()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("bench/%09d", n.Add(1))
			if _, err := s.PutObject(context.Background(), bytes.NewReader(body), putOpts(key)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// reportBatching adds group-commit metrics: writes per commit, and the
// writer's busy time per commit.
func reportBatching(b *testing.B, before, after meta.WriteStats) {
	batches := after.Batches - before.Batches
	if batches == 0 {
		return
	}
	b.ReportMetric(float64(after.Ops-before.Ops)/float64(batches), "writes/commit")
	b.ReportMetric(float64((after.Busy-before.Busy).Microseconds())/float64(batches), "µs/commit")
}

// BenchmarkPut64MiB writes one 64 MiB object per op, with a CRC32 checksum
// as current SDKs request.
func BenchmarkPut64MiB(b *testing.B) {
	s := newTestStore(b)
	body := pattern(64<<20, 1)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := range b.N {
		opts := putOpts(fmt.Sprint("big/", i%2))
		opts.Size = int64(len(body))
		opts.ChecksumAlgorithm = "CRC32"
		if _, err := s.PutObject(context.Background(), bytes.NewReader(body), opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet4K reads a 4 KiB (inline) object whole.
func BenchmarkGet4K(b *testing.B) {
	s := newTestStore(b)
	body := pattern(4<<10, 1)
	mustPut(b, s, "k", body)
	buf := make([]byte, 8<<10)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, r, err := s.GetObject(context.Background(), testBucket, "k", 0, -1)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := r.Read(buf)
			r.Close()
			if n != len(body) {
				b.Errorf("read %d bytes", n)
				return
			}
		}
	})
}

// BenchmarkList1000of100k lists a page of 1000 from 100k keys: plain keys,
// and common prefixes each rolling up 100 keys.
func BenchmarkList1000of100k(b *testing.B) {
	s := newTestStore(b)
	bulkInsert(b, s, manyKeys(100000, 1000))
	for _, bc := range []struct {
		name string
		opts ListOptions
	}{
		{"keys", ListOptions{MaxKeys: 1000, StartAfter: "d0500/"}},
		{"prefixes", ListOptions{MaxKeys: 1000, Delimiter: "/"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				res, err := s.ListObjects(context.Background(), testBucket, bc.opts)
				if err != nil || len(res.Objects)+len(res.CommonPrefixes) != 1000 {
					b.Fatalf("ListObjects = %d entries, %v", len(res.Objects)+len(res.CommonPrefixes), err)
				}
			}
		})
	}
}
