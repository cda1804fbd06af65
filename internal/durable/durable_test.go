package durable

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	if err := SyncDir(dir); err != nil {
		t.Errorf("SyncDir of a directory: %v", err)
	}
	if err := SyncDir(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "sync directory") {
		t.Errorf("SyncDir of a missing directory = %v; want a sync directory error", err)
	}
}

// StartWriteback is advisory: on a file it leaves the data intact, and a
// writer without a file descriptor is ignored.
func TestStartWriteback(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("x"), 1<<20)
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	StartWriteback(f, 0, int64(len(data)))
	StartWriteback(&bytes.Buffer{}, 0, 10)
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("file after StartWriteback: %d bytes, %v; want the %d written", len(got), err, len(data))
	}
}
