package credfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	if err := Write(path, "AKIAEXAMPLE", "s3cr/t+=", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	id, secret, err := Read(path, "")
	if err != nil || id != "AKIAEXAMPLE" || secret != "s3cr/t+=" {
		t.Errorf("Read = %q, %q, %v; want the written key", id, secret, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %o; want 600", got)
	}
	if _, _, err := Read(path, "other"); err == nil {
		t.Error("Read of a missing profile succeeded")
	}
}

func TestReadProfiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	text := "[a]\naws_access_key_id = A\naws_secret_access_key = SA\n\n[ b ]\naws_access_key_id=B\naws_secret_access_key=SB\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for profile, want := range map[string]string{"a": "A", "b": "B"} {
		if id, _, err := Read(path, profile); err != nil || id != want {
			t.Errorf("Read(%s) = %q, %v; want %q", profile, id, err, want)
		}
	}
}

func TestReadCommentsAndOtherProfiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "credentials")
	body := "# comment\n[other]\naws_access_key_id = X\n[default]\naws_access_key_id = AKID\naws_secret_access_key=SECRET\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ak, sk, err := Read(p, "default")
	if err != nil || ak != "AKID" || sk != "SECRET" {
		t.Fatalf("got %q %q %v", ak, sk, err)
	}
	if _, _, err := Read(p, "missing"); err == nil {
		t.Fatal("missing profile accepted")
	}
}
