package dataset

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
)

// TestRowsPassChecks reads generated rows with inlet's reader and the
// dataset's spec: every row must load, since the benchmark measures the
// accepted path.
func TestRowsPassChecks(t *testing.T) {
	spec, err := catalog.ValidateDatasetSpec(Spec())
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	var buf bytes.Buffer
	_, rows, err := Write(&buf, 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ingest.Open(&buf, "t.csv", spec.Fields, spec.File, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for {
		b, err := f.Next()
		if b != nil && len(b.Rejects) > 0 {
			r := b.Rejects[0]
			t.Fatalf("reject at line %d, field %s, value %q: %s", r.Line, r.Field, r.Value, r.Reason)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.Summary().RowsAccepted; got != rows {
		t.Fatalf("accepted %d rows, wrote %d", got, rows)
	}
}

// TestDeterministic checks that a row depends on its index only.
func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, _, err := Write(&a, 100_000); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Write(&b, 100_000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same size differ")
	}
	if a.Len() < 100_000 || a.Len() > 100_000+1024 {
		t.Fatalf("wrote %d bytes for a size of 100000", a.Len())
	}
}
