package checksum

import (
	"bytes"
	"encoding/binary"
	"hash"
	"hash/crc64"
	"math/rand/v2"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name string
		alg  Algorithm
		in   string
		want string
	}{
		// Case 7: "hello\n" with CRC32.
		{"crc32 hello", CRC32, "hello\n", "NjowIA=="},
		{"crc32 empty", CRC32, "", "AAAAAA=="},
		{"sha256 empty", SHA256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{"sha1 abc", SHA1, "abc", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="},
		{"crc32c 123456789", CRC32C, "123456789", "4waSgw=="},
		// CRC-64/NVME check value for "123456789" is 0xae8b14860a799888.
		{"crc64nvme 123456789", CRC64NVME, "123456789", "rosUhgp5mIg="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.alg, []byte(tt.in)).Encoded; got != tt.want {
				t.Errorf("Of(%s, %q) = %s; want %s", tt.alg, tt.in, got, tt.want)
			}
		})
	}
}

func TestComposite(t *testing.T) {
	// Case 12: parts of 5 MiB 'a' and 1 KiB 'b' have CRC32 r/zBbw== and
	// Qw0K7A==; the composite is pm11MA==-2.
	got, err := Composite(CRC32, []Value{{CRC32, "r/zBbw=="}, {CRC32, "Qw0K7A=="}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "pm11MA==-2"; got.Encoded != want {
		t.Errorf("Composite = %s; want %s", got.Encoded, want)
	}
}

func TestParse(t *testing.T) {
	if a, err := Parse("crc64nvme"); err != nil || a != CRC64NVME {
		t.Errorf("Parse(crc64nvme) = %v, %v", a, err)
	}
	if _, err := Parse("md4"); err == nil {
		t.Error("Parse(md4) succeeded")
	}
}

// The accelerated CRC64NVME must agree with hash/crc64 on the same
// polynomial (the reflected NVMe one), for every length and split of the
// input.
func TestCRC64NVMEMatchesStdlib(t *testing.T) {
	tab := crc64.MakeTable(0x9a6c9329ac4bc9b5)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 70000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 2047, 2048, 4099, 65536, 70000} {
		for _, split := range []int{0, 1, n / 3, n} {
			if split > n {
				continue
			}
			want := crc64.Checksum(data[:n], tab)
			h := CRC64NVME.New()
			h.Write(data[:split])
			h.Write(data[split:n])
			if got := h.(hash.Hash64).Sum64(); got != want {
				t.Errorf("n=%d split=%d: got %#x, want %#x", n, split, got, want)
			}
			var be [8]byte
			binary.BigEndian.PutUint64(be[:], want)
			if got := h.Sum(nil); !bytes.Equal(got, be[:]) {
				t.Errorf("n=%d split=%d: Sum = %x, want %x", n, split, got, be)
			}
		}
	}
}

func BenchmarkCRC64NVME(b *testing.B) {
	buf := make([]byte, 1<<20)
	h := CRC64NVME.New()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}

func BenchmarkCRC64NVME8K(b *testing.B) {
	buf := make([]byte, 8<<10)
	h := CRC64NVME.New()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}
