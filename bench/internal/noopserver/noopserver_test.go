package noopserver

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSizeOf(t *testing.T) {
	h := newHandler(7, "b", 1)
	for key, want := range map[string]int64{
		"load/obj-67108864-3":  67108864,
		"obj-4096-w1-9":        4096,
		"a/b/obj-0-g1":         0,
		"plain":                7,
		"obj-x-1":              7,
		"obj-123/other-name-4": 7,
	} {
		if got := h.sizeOf(key); got != want {
			t.Errorf("sizeOf(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestAnswers(t *testing.T) {
	srv := httptest.NewServer(New(Options{GetSize: 10, Bucket: "bench", ListKeys: 1000}))
	defer srv.Close()

	do := func(method, path string, body io.Reader) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	if r := do("PUT", "/bench", nil); r.StatusCode != 200 {
		t.Fatalf("create bucket: %d", r.StatusCode)
	}
	if r := do("PUT", "/bench/k", strings.NewReader(strings.Repeat("x", 3<<20))); r.StatusCode != 200 || r.Header.Get("ETag") == "" {
		t.Fatalf("put: %d etag %q", r.StatusCode, r.Header.Get("ETag"))
	}
	r := do("GET", "/bench/load/obj-3000000-1", nil)
	n, _ := io.Copy(io.Discard, r.Body)
	if r.StatusCode != 200 || n != 3000000 || r.ContentLength != 3000000 {
		t.Fatalf("get: %d, %d bytes, length %d", r.StatusCode, n, r.ContentLength)
	}
	if r := do("HEAD", "/bench/obj-5-1", nil); r.StatusCode != 200 || r.ContentLength != 5 {
		t.Fatalf("head: %d length %d", r.StatusCode, r.ContentLength)
	}
	r = do("GET", "/bench?list-type=2&max-keys=1000", nil)
	var page struct {
		KeyCount int
		Contents []struct{ Key string }
	}
	if err := xml.NewDecoder(r.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if page.KeyCount != 1000 || len(page.Contents) != 1000 || page.Contents[999].Key != "list/k00000999" {
		t.Fatalf("list page: count %d, %d contents", page.KeyCount, len(page.Contents))
	}
}
