package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
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

// download streams a reply body to a file.
func (c *apiClient) download(path, file string) error {
	req, err := http.NewRequest("GET", c.server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("call the console at %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e struct{ Error apiError }
		if json.Unmarshal(raw, &e) == nil && e.Error.Code != "" {
			return &e.Error
		}
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	tmp := file + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, file)
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
