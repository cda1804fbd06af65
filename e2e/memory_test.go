//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestIngestPeakRSS: a generated 2 GB CSV, uploaded by the AWS CLI as a
// partner would, ingests with the server's peak resident set under 256 MiB.
// The server is restarted between the upload and the _SUCCESS marker, so
// that its peak (VmHWM) counts the ingestion alone.
func TestIngestPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2 GB ingestion")
	}
	const aws = "/usr/bin/aws"
	need(t, aws)
	const limitMiB = 256
	start := time.Now()
	s := startServer(t)
	tn := newTenant(t, s, "Memory")
	ds := tn.dataset(t, `{"name":"big","fields":[
		{"name":"id","type":"long","required":true},{"name":"customer","type":"string","required":true},
		{"name":"amount","type":"double"},{"name":"day","type":"date"},{"name":"at","type":"timestamptz"},
		{"name":"note","type":"string"}],
		"file":{"format":"csv","header":true}}`)
	src := tn.source(t, "--aws-account-id", "222222222222", "--resource-id", "memory")

	// 2 GB (2e9 bytes) of rows, written with appends rather than Fprintf
	// to keep the generation to a few seconds.
	const target = 2_000_000_000
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	size, _ := w.WriteString("id,customer,amount,day,at,note\n")
	notes := []string{"", "priority", `"late, resent"`, "warehouse transfer north", "ok"}
	var line []byte
	rows := 0
	for size < target {
		rows++
		id := rows
		line = strconv.AppendInt(line[:0], int64(id), 10)
		line = append(line, ",customer-"...)
		line = strconv.AppendInt(line, int64(id*7919%10_000_000), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(id%100_000), 10)
		line = append(line, '.')
		line = strconv.AppendInt(line, int64(10+id%90), 10)
		line = fmt.Appendf(line, ",2025-%02d-%02d,2025-06-01T%02d:%02d:%02d.%06dZ,", id%12+1, id%28+1, id%24, id%60, id%59, id%1_000_000)
		line = append(line, notes[id%len(notes)]...)
		line = append(line, '\n')
		n, err := w.Write(line)
		if err != nil {
			t.Fatal(err)
		}
		size += n
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Logf("generated %d rows, %d bytes, in %v", rows, size, time.Since(start).Round(time.Millisecond))

	prefix := "s3://" + src.Bucket + "/" + deliveryKey(ds, "big", "")
	platform := s.clientEnv(t, "http")
	runCmd(t, platform, aws, "--endpoint-url", s.endpoint("http"), "s3", "cp", path, prefix+"big.csv", "--only-show-errors")
	t.Logf("uploaded after %v", time.Since(start).Round(time.Millisecond))

	s.stop()
	s.restart()
	marker := filepath.Join(t.TempDir(), "_SUCCESS")
	writeFile(t, marker, nil)
	runCmd(t, s.clientEnv(t, "http"), aws, "--endpoint-url", s.endpoint("http"), "s3", "cp", marker, prefix+"_SUCCESS")
	run := tn.waitIngest(t, ds, "big", 5*time.Minute)
	wantCommitted(t, run)
	if run.RowsAccepted != int64(rows) || run.RowsRejected != 0 {
		t.Errorf("run: %d rows accepted, %d rejected; want %d and 0", run.RowsAccepted, run.RowsRejected, rows)
	}
	hwm := peakRSSKiB(t, s.cmd.Process.Pid)
	t.Logf("ingested %d bytes after %v; server peak RSS %d MiB", size, time.Since(start).Round(time.Millisecond), hwm>>10)
	if hwm > limitMiB<<10 {
		t.Errorf("server peak RSS while ingesting 2 GB: %d MiB; want at most %d MiB", hwm>>10, limitMiB)
	}
}

// peakRSSKiB reads a process's peak resident set (VmHWM) in KiB.
func peakRSSKiB(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read the server's status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
