package ingest

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"inlet/internal/catalog"
)

// benchFields is a 10-column schema of mixed types.
var benchFields = []catalog.Field{
	fld("id", catalog.TypeLong, true),
	fld("name", catalog.TypeString, false),
	fld("amount", catalog.TypeDouble, false),
	fld("active", catalog.TypeBoolean, false),
	fld("day", catalog.TypeDate, false),
	fld("ts", catalog.TypeTimestampTZ, false),
	fld("qty", catalog.TypeLong, false),
	fld("price", catalog.TypeDouble, false),
	fld("city", catalog.TypeString, false),
	fld("note", catalog.TypeString, false),
}

var (
	benchOnce sync.Once
	benchCSV  []byte
	benchGzip []byte
)

// benchData makes a deterministic CSV of about 64 MiB, one row in eight
// with a quoted field holding a delimiter, and its gzip.
func benchData(b *testing.B) ([]byte, []byte) {
	benchOnce.Do(func() {
		cities := []string{"Berlin", "Paris", "Lisbon", "Oslo", "Zurich", "Prague", "Vienna", "Dublin"}
		var buf bytes.Buffer
		buf.Grow(65 << 20)
		buf.WriteString("id,name,amount,active,day,ts,qty,price,city,note\n")
		for i := 0; buf.Len() < 64<<20; i++ {
			buf.WriteString(strconv.Itoa(i + 1))
			buf.WriteString(",customer-")
			buf.WriteString(strconv.Itoa(i * 7919 % 100000))
			buf.WriteByte(',')
			buf.WriteString(strconv.Itoa(i % 100000))
			buf.WriteByte('.')
			buf.WriteString(strconv.Itoa(10 + i%90))
			if i%2 == 0 {
				buf.WriteString(",true,")
			} else {
				buf.WriteString(",false,")
			}
			day := 1 + i%28
			buf.WriteString("2025-03-")
			if day < 10 {
				buf.WriteByte('0')
			}
			buf.WriteString(strconv.Itoa(day))
			buf.WriteString(",2025-03-14T12:")
			m := i % 60
			if m < 10 {
				buf.WriteByte('0')
			}
			buf.WriteString(strconv.Itoa(m))
			buf.WriteString(":07.123456Z,")
			buf.WriteString(strconv.Itoa(i % 1000))
			buf.WriteString(",")
			buf.WriteString(strconv.FormatFloat(float64(i%5000)/8, 'f', -1, 64))
			buf.WriteByte(',')
			buf.WriteString(cities[i%len(cities)])
			if i%8 == 0 {
				buf.WriteString(`,"said ""hi"", then left"` + "\n")
			} else {
				buf.WriteString(",plain note text\n")
			}
		}
		benchCSV = buf.Bytes()
		benchGzip = gzipBytes(b, benchCSV)
	})
	return benchCSV, benchGzip
}

func benchRead(b *testing.B, data []byte, name string) {
	b.SetBytes(int64(len(benchCSV)))
	b.ReportAllocs()
	b.ResetTimer()
	rows, n := 0, 0
	cpu0 := cpuTime()
	for b.Loop() {
		n++
		f, err := Open(bytes.NewReader(data), name, benchFields, csvHeader, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for {
			bt, err := f.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if len(bt.Rejects) > 0 {
				b.Fatalf("reject: %+v", bt.Rejects[0])
			}
			rows += bt.Rows
		}
		f.Close()
	}
	b.ReportMetric(float64(rows), "rows/op")
	// The machine is shared: CPU time gives the rate a free core reaches.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(benchCSV))*float64(n)/cpu.Seconds()/1e6, "cpu-MB/s")
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCSV reads the 64 MiB CSV into checked batches.
func BenchmarkCSV(b *testing.B) {
	data, _ := benchData(b)
	benchRead(b, data, "bench.csv")
}

// BenchmarkCSVGzip reads the same CSV gzipped; MB/s counts the
// decompressed bytes.
func BenchmarkCSVGzip(b *testing.B) {
	_, gz := benchData(b)
	benchRead(b, gz, "bench.csv.gz")
}
