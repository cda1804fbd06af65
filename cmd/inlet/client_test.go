package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// exportServer answers exports the way the reply named by the format
// parameter says.
func exportServer(t *testing.T) *httptest.Server {
	t.Helper()
	big := bytes.Repeat([]byte("1,some value\n"), 20000)
	// tinyParquet has a Parquet file's ends around a two-byte footer.
	tinyParquet := binary.LittleEndian.AppendUint32([]byte("PAR1xx"), 2)
	tinyParquet = append(tinyParquet, "PAR1"...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Query().Get("format") {
		case "csv":
			w.Write([]byte("id,s\n1,a\n"))
		case "parquet":
			w.Write(tinyParquet)
		case "cut-late": // a 200 and a good part of the body, then a failure
			w.Write(big)
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler)
		case "cut-early": // a failure before anything reached the client
			w.Write([]byte("PAR1"))
			panic(http.ErrAbortHandler)
		case "slow": // steady bytes for longer than a call's time limit
			for i := range 8 {
				fmt.Fprintf(w, "%d,row\n", i)
				http.NewResponseController(w).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		case "stall": // some bytes, then nothing until the client gives up
			w.Write([]byte("id,s\n"))
			http.NewResponseController(w).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "error-in-body": // what servers did before they aborted
			w.Write([]byte(`PAR1{"error":{"code":"internal","message":"internal error"}}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			w.Write([]byte(`{"error":{"code":"internal","message":"internal error"}}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// A download lands in its file only when the whole reply came and is
// what it should be; otherwise it fails, the file keeps what it had and
// no partial file is left.
func TestDownload(t *testing.T) {
	srv := exportServer(t)
	c := &apiClient{server: srv.URL, token: "tok", http: srv.Client()}
	path := "/api/v1/datasets/1/export?format="

	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		format string
		check  func(*os.File) error
		want   string // the file's content after; empty: the download fails
		err    string // in the error of a failed download
	}{
		{"csv", nil, "id,s\n1,a\n", ""},
		{"parquet", parquetComplete, "PAR1xx\x02\x00\x00\x00PAR1", ""},
		{"cut-late", nil, "", "download cut off"},
		{"cut-early", nil, "", "call the console"},
		{"error-in-body", parquetComplete, "", "not a whole Parquet file"},
		{"server-error", nil, "", "internal error"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			if err := os.WriteFile(out, []byte("before"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := c.download(path+tc.format, out, tc.check)
			got, rerr := os.ReadFile(out)
			if rerr != nil {
				t.Fatal(rerr)
			}
			switch {
			case tc.want != "" && (err != nil || string(got) != tc.want):
				t.Errorf("download = %v; file %q; want %q", err, got, tc.want)
			case tc.want == "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("download = %v; want an error saying %q (file %d bytes)", err, tc.err, len(got))
			case tc.want == "" && string(got) != "before":
				t.Errorf("the failed download changed the file: %d bytes", len(got))
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"out"}) {
				t.Errorf("files after the download: %v; want only out", names)
			}
		})
	}

	// A download has no overall time limit, only one between bytes.
	defer func(d time.Duration) { downloadIdle = d }(downloadIdle)
	downloadIdle = 300 * time.Millisecond
	limited := &apiClient{server: srv.URL, token: "tok", http: &http.Client{Timeout: 100 * time.Millisecond}}
	if err := limited.download(path+"slow", out, nil); err != nil {
		t.Errorf("a download slower than the call time limit, but steady: %v; want it to finish", err)
	}
	start := time.Now()
	if err := limited.download(path+"stall", out, nil); err == nil {
		t.Error("a stalled download succeeded; want it to fail after downloadIdle")
	} else if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a stalled download failed after %v; want about %v", d, downloadIdle)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"out"}) {
		t.Errorf("files after the stalled download: %v; want only out", names)
	}

	var ae *apiError
	if err := c.download(path+"server-error", out, nil); !errors.As(err, &ae) || ae.Status != 500 || ae.Code != "internal" {
		t.Errorf("download of an error reply = %#v; want the API's error", err)
	}

	// A new file is made, with the mode os.Create gives.
	fresh := filepath.Join(dir, "fresh.csv")
	if err := c.download(path+"csv", fresh, nil); err != nil {
		t.Fatal(err)
	}
	ref, err := os.Create(filepath.Join(dir, "ref"))
	if err != nil {
		t.Fatal(err)
	}
	ref.Close()
	st, err := os.Stat(fresh)
	rst, rerr := os.Stat(ref.Name())
	if err != nil || rerr != nil || st.Mode() != rst.Mode() {
		t.Errorf("new file mode %v (%v); os.Create gives %v (%v)", st.Mode(), err, rst.Mode(), rerr)
	}
}

// The export command fails, and writes nothing, when the export breaks.
func TestExportCommand(t *testing.T) {
	srv := exportServer(t)
	dir := t.TempDir()
	for format, ok := range map[string]bool{"csv": true, "parquet": true, "cut-late": false, "cut-early": false} {
		out := filepath.Join(dir, format)
		cmd := newDatasetCmd()
		cmd.SetArgs([]string{"export", "1", "--format", format, "-o", out, "--server", srv.URL, "--token", "tok"})
		var stderr strings.Builder
		cmd.SetOut(&stderr)
		cmd.SetErr(&stderr)
		err := cmd.Execute()
		_, serr := os.Stat(out)
		if ok && (err != nil || serr != nil) {
			t.Errorf("export %s = %v (file: %v); want it written", format, err, serr)
		}
		if !ok && (err == nil || !errors.Is(serr, os.ErrNotExist)) {
			t.Errorf("export %s = %v (file: %v); want an error and no file", format, err, serr)
		}
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"csv", "parquet"}) {
		t.Errorf("files after the exports: %v; want csv and parquet", names)
	}
}

// "-o -" streams the export to standard output; a cut reply is an error.
func TestDownloadToWriter(t *testing.T) {
	srv := exportServer(t)
	c := &apiClient{server: srv.URL, token: "tok", http: srv.Client()}
	var b bytes.Buffer
	if err := c.downloadTo("/api/v1/datasets/1/export?format=csv", &b); err != nil || b.String() != "id,s\n1,a\n" {
		t.Errorf("downloadTo = %v, %q; want the CSV", err, b.String())
	}
	b.Reset()
	if err := c.downloadTo("/api/v1/datasets/1/export?format=cut-late", &b); err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Errorf("downloadTo of a cut reply = %v; want a cut-off error", err)
	}
	var ae *apiError
	if err := c.downloadTo("/api/v1/datasets/1/export?format=server-error", &b); !errors.As(err, &ae) || ae.Status != 500 {
		t.Errorf("downloadTo of an error reply = %v; want the API's error", err)
	}
}
