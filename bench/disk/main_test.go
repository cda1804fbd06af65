package main

import (
	"os"
	"testing"
)

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"4096": 4096, "64MiB": 64 << 20, "1GiB": 1 << 30, "8K": 8 << 10} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	if _, err := parseSize("lots"); err == nil {
		t.Error("parseSize accepted junk")
	}
}

func TestMeasureCleansUp(t *testing.T) {
	dir := t.TempDir()
	b := &bench{dir: dir, runs: 2, budget: 1 << 62, buf: make([]byte, 64<<10)}
	for _, keep := range []bool{true, false} {
		rates, err := b.measure(1<<20, keep)
		if err != nil {
			t.Fatal(err)
		}
		if len(rates) != 2 || rates[0] <= 0 {
			t.Fatalf("keep=%v: rates %v", keep, rates)
		}
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Fatalf("%d files left behind", len(left))
	}
}
