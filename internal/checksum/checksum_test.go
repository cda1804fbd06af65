package checksum

import "testing"

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
