package checksum

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// Combining the parts' CRCs must give what hashing the whole object
// directly gives, for random splits of random data, with empty parts
// anywhere (first, last, several in a row).
func TestCombineMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 300000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, a := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		for trial := range 200 {
			n := rng.IntN(len(data) + 1)
			if trial < 4 {
				n = trial // tiny objects, the empty one included
			}
			whole := data[:n]
			var cuts []int
			for range rng.IntN(8) {
				cuts = append(cuts, rng.IntN(n+1))
			}
			if trial%5 == 0 {
				cuts = append(cuts, 0, n, n) // empty first and last parts
			}
			parts := split(whole, cuts)
			var ps []Part
			for _, p := range parts {
				ps = append(ps, Part{Value: Of(a, p), Size: int64(len(p))})
			}
			got, err := Combine(a, ps)
			if err != nil {
				t.Fatalf("%s: Combine: %v", a, err)
			}
			if want := Of(a, whole); got != want {
				t.Fatalf("%s: %d bytes in parts of %v: Combine = %s; want %s", a, n, lens(parts), got.Encoded, want.Encoded)
			}
		}
	}
}

// split cuts b at the given offsets (in any order, repeats allowed, which
// make empty parts).
func split(b []byte, cuts []int) [][]byte {
	sorted := append([]int(nil), cuts...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j] < sorted[j-1]; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	var parts [][]byte
	prev := 0
	for _, c := range sorted {
		parts = append(parts, b[prev:c])
		prev = c
	}
	return append(parts, b[prev:])
}

func lens(parts [][]byte) []int {
	var out []int
	for _, p := range parts {
		out = append(out, len(p))
	}
	return out
}

// The bug's case: a CRC64NVME multipart object of 5 MiB 'a' and 1 KiB 'b'
// has the CRC64NVME of its bytes, never a composite "-2" value.
func TestCombineMultipartCRC64NVME(t *testing.T) {
	p1, p2 := make([]byte, 5<<20), make([]byte, 1<<10)
	for i := range p1 {
		p1[i] = 'a'
	}
	for i := range p2 {
		p2[i] = 'b'
	}
	got, err := Combine(CRC64NVME, []Part{{Of(CRC64NVME, p1), 5 << 20}, {Of(CRC64NVME, p2), 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	if want := Of(CRC64NVME, append(p1, p2...)); got != want || got.Type() != TypeFullObject {
		t.Errorf("Combine = %s (%s); want %s FULL_OBJECT", got.Encoded, got.Type(), want.Encoded)
	}
}

// The large part sizes S3 allows (5 GiB) and beyond must not overflow the
// power table.
func TestCombineLargeLengths(t *testing.T) {
	for _, a := range []Algorithm{CRC32, CRC64NVME} {
		c := a.crc()
		// x^(8n) for n = 2^k, computed by doubling, against xPow8.
		p := c.xPow8(1)
		for k := 1; k < 63; k++ {
			p = c.mul(p, p)
			if got := c.xPow8(int64(1) << k); got != p {
				t.Fatalf("%s: xPow8(2^%d) = %#x; want %#x", a, k, got, p)
			}
		}
	}
}

func TestCombineErrors(t *testing.T) {
	ok := Of(CRC32, []byte("x"))
	for _, tt := range []struct {
		name  string
		alg   Algorithm
		parts []Part
	}{
		{"sha256 has no full-object checksum", SHA256, []Part{{Of(SHA256, nil), 0}}},
		{"sha1 has no full-object checksum", SHA1, nil},
		{"part of another algorithm", CRC32, []Part{{ok, 1}, {Of(CRC32C, []byte("y")), 1}}},
		{"part without checksum", CRC32, []Part{{ok, 1}, {Value{}, 1}}},
		{"composite part value", CRC32, []Part{{Value{CRC32, "AAAAAA==-2"}, 1}}},
		{"wrong digest size", CRC64NVME, []Part{{Value{CRC64NVME, "AAAAAA=="}, 1}}},
		{"negative size", CRC32, []Part{{ok, -1}}},
	} {
		if _, err := Combine(tt.alg, tt.parts); err == nil {
			t.Errorf("%s: Combine succeeded", tt.name)
		}
	}
}

func TestTypes(t *testing.T) {
	tests := []struct {
		alg                   Algorithm
		def                   Type
		composite, fullObject bool
	}{
		{CRC32, TypeComposite, true, true},
		{CRC32C, TypeComposite, true, true},
		{CRC64NVME, TypeFullObject, false, true},
		{SHA1, TypeComposite, true, false},
		{SHA256, TypeComposite, true, false},
	}
	for _, tt := range tests {
		if got := tt.alg.DefaultType(); got != tt.def {
			t.Errorf("%s.DefaultType() = %s; want %s", tt.alg, got, tt.def)
		}
		if got := tt.alg.Supports(TypeComposite); got != tt.composite {
			t.Errorf("%s.Supports(COMPOSITE) = %v", tt.alg, got)
		}
		if got := tt.alg.Supports(TypeFullObject); got != tt.fullObject {
			t.Errorf("%s.Supports(FULL_OBJECT) = %v", tt.alg, got)
		}
		if tt.alg.Supports("") {
			t.Errorf("%s supports the empty type", tt.alg)
		}
	}
	for in, want := range map[string]Type{"FULL_OBJECT": TypeFullObject, "composite": TypeComposite, " COMPOSITE ": TypeComposite} {
		if got, err := ParseType(in); err != nil || got != want {
			t.Errorf("ParseType(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "FULL", "FULLOBJECT"} {
		if _, err := ParseType(in); !errors.Is(err, ErrUnknownType) {
			t.Errorf("ParseType(%q) = %v; want ErrUnknownType", in, err)
		}
	}
	for v, want := range map[Value]Type{
		{}:                          "",
		{CRC32, "pm11MA==-2"}:       TypeComposite,
		{CRC64NVME, "rosUhgp5mIg="}: TypeFullObject,
	} {
		if got := v.Type(); got != want {
			t.Errorf("%v.Type() = %q; want %q", v, got, want)
		}
	}
}

func BenchmarkCombine10000Parts(b *testing.B) {
	parts := make([]Part, 10000)
	for i := range parts {
		parts[i] = Part{Of(CRC64NVME, []byte{byte(i)}), 5 << 20}
	}
	for b.Loop() {
		if _, err := Combine(CRC64NVME, parts); err != nil {
			b.Fatal(err)
		}
	}
}
