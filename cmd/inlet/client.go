package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// apiClient calls the console's REST API for the CLI commands.
type apiClient struct {
	server string
	token  string
	asJSON bool
	http   *http.Client
}

// clientFlags are the flags every API command takes.
type clientFlags struct {
	server string
	token  string
	data   string
	asJSON bool
}

func (f *clientFlags) register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.server, "server", envOr("INLET_SERVER", "http://127.0.0.1:8080"), "console URL (INLET_SERVER)")
	pf.StringVar(&f.token, "token", "", "API token (default INLET_TOKEN, else DATA/admin-token)")
	pf.StringVar(&f.data, "data", envOr("INLET_DATA", "./data"), "data directory, for the operator's admin token (INLET_DATA)")
	pf.BoolVar(&f.asJSON, "json", false, "print JSON")
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// client builds the API client: the token from --token, INLET_TOKEN, or
// the admin token file in the data directory.
func (f *clientFlags) client() (*apiClient, error) {
	tok := f.token
	if tok == "" {
		tok = os.Getenv("INLET_TOKEN")
	}
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(f.data, "admin-token"))
		if err != nil {
			return nil, fmt.Errorf("no API token: set INLET_TOKEN or --token, or give --data for the operator's admin token (%v)", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	return &apiClient{
		server: strings.TrimRight(f.server, "/"), token: tok, asJSON: f.asJSON,
		http: &http.Client{Timeout: 5 * time.Minute},
	}, nil
}

// apiError is the API's error reply.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (e *apiError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Field, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// do sends a request and decodes a JSON reply into out (when non-nil).
func (c *apiClient) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("call the console at %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error apiError }
		if json.Unmarshal(raw, &e) == nil && e.Error.Code != "" {
			e.Error.Status = resp.StatusCode
			return &e.Error
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if p, ok := out.(*[]byte); ok {
		*p = raw
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // snapshot ids need all 64 bits
	return dec.Decode(out)
}

// download streams a reply body to file. The body goes to a temporary
// file beside it, renamed to file only once the whole reply has been read
// and passes check (when not nil), so that file is never a cut-off or
// failed download: on any error file is left as it was and the temporary
// file is removed. A server that fails after its reply began aborts the
// reply, which reading the body reports as an error.
// downloadIdle is how long a download may wait for its next byte.
var downloadIdle = 5 * time.Minute

// idleReader pushes its timer back by downloadIdle whenever bytes arrive.
type idleReader struct {
	io.ReadCloser
	timer *time.Timer
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if n > 0 {
		r.timer.Reset(downloadIdle)
	}
	return n, err
}

func (c *apiClient) download(path, file string, check func(*os.File) error) (err error) {
	body, done, err := c.openDownload(path)
	if err != nil {
		return err
	}
	defer done()
	tmp, err := createPart(file)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, body); err != nil {
		return fmt.Errorf("download cut off, %s not written: %w", file, err)
	}
	if check != nil {
		if err := check(tmp); err != nil {
			return fmt.Errorf("%s not written: %w", file, err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// downloadTo copies a download to w as it arrives (standard output for
// "-o -"); a reply cut short is an error, after the bytes already written.
func (c *apiClient) downloadTo(path string, w io.Writer) error {
	body, done, err := c.openDownload(path)
	if err != nil {
		return err
	}
	defer done()
	if _, err := io.Copy(w, body); err != nil {
		return fmt.Errorf("download cut off: %w", err)
	}
	return nil
}

// openDownload sends the GET of a download and returns its body once the
// reply's status says success; done releases it. An export may take
// longer than any call's time limit, so a download has none; it fails
// instead when no byte arrives for downloadIdle.
func (c *apiClient) openDownload(path string) (body io.Reader, done func(), err error) {
	req, err := http.NewRequest("GET", c.server+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	ctx, cancel := context.WithCancel(context.Background())
	idle := time.AfterFunc(downloadIdle, cancel)
	hc := *c.http
	hc.Timeout = 0
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		idle.Stop()
		cancel()
		return nil, nil, fmt.Errorf("call the console at %s: %w", c.server, err)
	}
	done = func() {
		resp.Body.Close()
		idle.Stop()
		cancel()
	}
	body = &idleReader{ReadCloser: resp.Body, timer: idle}
	if resp.StatusCode >= 300 {
		defer done()
		raw, _ := io.ReadAll(io.LimitReader(body, 1<<20))
		var e struct{ Error apiError }
		if json.Unmarshal(raw, &e) == nil && e.Error.Code != "" {
			e.Error.Status = resp.StatusCode
			return nil, nil, &e.Error
		}
		return nil, nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, done, nil
}

// createPart creates a new file beside file, named after it, for a
// download in progress. Its name is random, so that two downloads to one
// file do not write into each other; its mode is the one os.Create gives.
func createPart(file string) (f *os.File, err error) {
	for range 100 {
		name := file + "." + strconv.FormatUint(rand.Uint64()>>16, 36) + ".part"
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return f, err
}

// parquetComplete checks that f holds a whole Parquet file as far as its
// ends tell: the magic number at both and a footer length that fits. It
// catches a reply that ended cleanly with something else than the file
// (a server that put an error into the body, as old ones did).
func parquetComplete(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < 12 {
		return errors.New("the export is not a Parquet file: too short")
	}
	var head [4]byte
	var end [8]byte // the footer's length and the magic number
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return err
	}
	if _, err := f.ReadAt(end[:], st.Size()-8); err != nil {
		return err
	}
	footer := int64(binary.LittleEndian.Uint32(end[:4]))
	if string(head[:]) != "PAR1" || string(end[4:]) != "PAR1" || footer > st.Size()-12 {
		return errors.New("the export is not a whole Parquet file")
	}
	return nil
}

// call is the usual body of a command: build the client, send the
// request, and print the reply (JSON with --json, else through table).
func (f *clientFlags) call(cmd *cobra.Command, method, path string, in, out any, table func(w io.Writer)) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	if err := c.do(method, path, in, out); err != nil {
		return err
	}
	return c.print(cmd, out, table)
}

// print writes v as JSON with --json, else through table.
func (c *apiClient) print(cmd *cobra.Command, v any, table func(w io.Writer)) error {
	out := cmd.OutOrStdout()
	if c.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	table(out)
	return nil
}
