package benchutil

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1GiB": 1 << 30, "2GB": 2e9, "64MiB": 64 << 20, "1MB": 1e6, "4096": 4096, "1.5KiB": 1536,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1MB", "1XB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:9000", "http://localhost:1", "http://[::1]:8080"} {
		if err := CheckLoopback(u); err != nil {
			t.Errorf("CheckLoopback(%q): %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:9000", "http://host.invalid/"} {
		if err := CheckLoopback(u); err == nil {
			t.Errorf("CheckLoopback(%q): no error", u)
		}
	}
}
