//go:build unix

package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLockDataDir: a second server on a data directory in use is refused
// with an error naming the owner's pid; once released, it may start.
func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	_, err = lockDataDir(dir)
	if err == nil || !strings.Contains(err.Error(), "in use by another inlet serve (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("second lock: %v; want in use, naming pid %d", err, os.Getpid())
	}
	unlock()
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
