package tables

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestDirectWriter: whatever the sizes of the writes and where the flushes
// fall, a file written with O_DIRECT holds exactly the bytes written, its
// tail (short of a whole block) included.
func TestDirectWriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, total := range []int{0, 1, directAlign - 1, directAlign, directAlign + 1, 3<<20 + 12345} {
		path := filepath.Join(t.TempDir(), "f.parquet")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		d := newDirectWriter(f, 1<<20)
		if d == nil {
			f.Close()
			t.Skip("the file system of the test's temporary directory refuses O_DIRECT")
		}
		want := make([]byte, total)
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(300_000))
			if _, err := d.Write(rest[:n]); err != nil {
				t.Fatalf("write: %v", err)
			}
			rest = rest[n:]
			if rng.IntN(3) == 0 {
				if err := d.Flush(); err != nil {
					t.Fatalf("flush: %v", err)
				}
			}
		}
		if err := d.finish(); err != nil {
			t.Fatalf("finish: %v", err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes written: the file holds %d bytes (equal %t), %v", total, len(got), bytes.Equal(got, want), err)
		}
	}
}
