// Command latency measures how long inlet takes from a delivery's hand-off
// to a committed snapshot: the time from the response to the _SUCCESS PUT
// until GET /api/v1/datasets/{id}/ingestions shows the folder committed.
//
// It starts its own `inlet serve` (the binary given by -inlet) on free
// loopback ports with a temporary data directory, creates a tenant, the
// benchmark dataset and a managed-bucket source with the inlet CLI, then
// -n times: PUTs a file set of -size bytes of CSV (in -files files) into a
// new folder with aws-sdk-go-v2 (path style, the platform's root key from
// DATA/credentials), PUTs _SUCCESS, and polls the ingestions every -poll.
// -warmup file sets go first and are not counted. It prints p50, p90, p99
// and max, then stops the server it started and removes its directory.
//
// Usage:
//
//	latency -inlet BIN [-n 30] [-size 1MB] [-files 1] [-poll 5ms]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"inlet/bench/ingest/internal/benchutil"
	"inlet/bench/ingest/internal/dataset"
)

// options are the command's flags.
type options struct {
	inlet   string
	n       int
	warmup  int
	size    int64
	files   int
	poll    time.Duration
	timeout time.Duration
	keep    bool
}

func main() {
	var o options
	var size string
	flag.StringVar(&o.inlet, "inlet", "", "the inlet binary (go build -o BIN ./cmd/inlet)")
	flag.IntVar(&o.n, "n", 30, "measured file sets")
	flag.IntVar(&o.warmup, "warmup", 2, "file sets before the measured ones, not counted")
	flag.StringVar(&size, "size", "1MB", "CSV bytes per file set")
	flag.IntVar(&o.files, "files", 1, "files per file set (the size is split among them)")
	flag.DurationVar(&o.poll, "poll", 5*time.Millisecond, "how often the ingestions are polled")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "longest wait for one file set")
	flag.BoolVar(&o.keep, "keep", false, "keep the data directory (its path is printed)")
	flag.Parse()
	if o.inlet == "" || o.n < 1 || o.files < 1 {
		fmt.Fprintln(os.Stderr, "usage: latency -inlet BIN [-n 30] [-size 1MB] [-files 1] [-poll 5ms]")
		os.Exit(2)
	}
	var err error
	if o.size, err = benchutil.ParseSize(size); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

// freePorts returns n distinct free ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// server is the inlet serve process this command started.
type server struct {
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	data    string
	console string // http://127.0.0.1:PORT
	cloud   string
}

func startServer(bin, dir string) (*server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	s := &server{
		data:    filepath.Join(dir, "data"),
		logPath: filepath.Join(dir, "serve.log"),
		cloud:   "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		console: "http://127.0.0.1:" + strconv.Itoa(ports[1]),
		done:    make(chan struct{}),
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--data", s.data,
		"--cloud-addr", strings.TrimPrefix(s.cloud, "http://"),
		"--console-addr", strings.TrimPrefix(s.console, "http://"),
		"--cloud", "embedded", "--log-format", "text", "--log-level", "warn")
	s.cmd.Env = cleanEnv()
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() {
		s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	// Ready when the console answers and the root key is written.
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.console + "/api/v1/openapi.json")
		if err == nil {
			resp.Body.Close()
			if _, err := os.Stat(filepath.Join(s.data, "credentials")); err == nil {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("inlet serve exited early:\n%s", tail(s.logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("inlet serve not ready after 60s:\n%s", tail(s.logPath))
		}
	}
}

// cleanEnv is the environment without INLET_* settings, so that the
// server and the CLI take only the flags given here.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INLET_") {
			env = append(env, kv)
		}
	}
	return env
}

// stop ends the server this command started: SIGTERM, then SIGKILL.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cli runs an inlet CLI command against the server and decodes its JSON.
func (s *server) cli(bin, token string, out any, args ...string) error {
	args = append(args, "--server", s.console, "--data", s.data, "--json")
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv()
	if token != "" {
		cmd.Env = append(cmd.Env, "INLET_TOKEN="+token)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("inlet %s: %v: %s", strings.Join(args[:2], " "), err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("inlet %s: reply: %v: %s", strings.Join(args[:2], " "), err, b)
	}
	return nil
}

// rootKey reads the platform's root key from DATA/credentials (an AWS
// shared credentials file).
func rootKey(path string) (id, secret string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("%s: no root key", path)
	}
	return id, secret, sc.Err()
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "inlet-latency-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("data directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	srv, err := startServer(o.inlet, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	for _, u := range []string{srv.console, srv.cloud} {
		if err := benchutil.CheckLoopback(u); err != nil {
			return err
		}
	}

	var tenant struct {
		Token struct {
			Secret string `json:"secret"`
		} `json:"token"`
	}
	if err := srv.cli(o.inlet, "", &tenant, "tenant", "create", "--name", "bench"); err != nil {
		return err
	}
	tok := tenant.Token.Secret
	schema := filepath.Join(dir, "schema.json")
	spec, err := json.Marshal(dataset.Spec())
	if err != nil {
		return err
	}
	if err := os.WriteFile(schema, spec, 0o644); err != nil {
		return err
	}
	var ds struct {
		ID int64 `json:"id"`
	}
	if err := srv.cli(o.inlet, tok, &ds, "dataset", "create", "--schema", schema); err != nil {
		return err
	}
	var src struct {
		Bucket string `json:"bucket"`
		Status string `json:"status"`
	}
	if err := srv.cli(o.inlet, tok, &src, "source", "create", "--aws-account-id", "222222222222", "--resource-id", "bench"); err != nil {
		return err
	}
	if src.Bucket == "" {
		return fmt.Errorf("source create: no bucket in the reply (status %q)", src.Status)
	}

	id, secret, err := rootKey(filepath.Join(srv.data, "credentials"))
	if err != nil {
		return err
	}
	client := s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(srv.cloud),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(id, secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})

	// The file set's files: one CSV of -size bytes, split into -files
	// parts that each have the header.
	files := makeFiles(o.size, o.files)
	var total int64
	for _, f := range files {
		total += int64(len(f))
	}
	p := &poller{http: &http.Client{Timeout: 10 * time.Second}, url: fmt.Sprintf("%s/api/v1/datasets/%d/ingestions", srv.console, ds.ID), token: tok}

	fmt.Printf("latency: inlet serve on %s (console %s), dataset %d, bucket %s\n", srv.cloud, srv.console, ds.ID, src.Bucket)
	fmt.Printf("  %d file sets of %d bytes in %d file(s), %d warm-up; polling every %s\n", o.n, total, len(files), o.warmup, o.poll)
	var lat, puts []time.Duration
	ctx := context.Background()
	for i := range o.warmup + o.n {
		folder := fmt.Sprintf("bench-%04d", i)
		prefix := fmt.Sprintf("ingestion/datasets/version=1/datasetId=%d/%s/", ds.ID, folder)
		t0 := time.Now()
		for k, body := range files {
			_, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(src.Bucket), Key: aws.String(fmt.Sprintf("%spart-%03d.csv", prefix, k)),
				Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
			})
			if err != nil {
				return fmt.Errorf("put file set %s: %w", folder, err)
			}
		}
		t1 := time.Now()
		_, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(src.Bucket), Key: aws.String(prefix + "_SUCCESS"),
			Body: bytes.NewReader(nil), ContentLength: aws.Int64(0),
		})
		if err != nil {
			return fmt.Errorf("put %s_SUCCESS: %w", prefix, err)
		}
		start := time.Now()
		if err := p.waitCommitted(folder, o.poll, o.timeout); err != nil {
			return fmt.Errorf("file set %s: %w\n%s", folder, err, tail(srv.logPath))
		}
		d := time.Since(start)
		if i >= o.warmup {
			lat = append(lat, d)
			puts = append(puts, t1.Sub(t0))
		}
	}

	slices.Sort(lat)
	slices.Sort(puts)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	fmt.Printf("  _SUCCESS response -> committed: p50 %s ms, p90 %s ms, p99 %s ms, max %s ms, min %s ms (n=%d)\n",
		ms(pct(lat, 50)), ms(pct(lat, 90)), ms(pct(lat, 99)), ms(lat[len(lat)-1]), ms(lat[0]), len(lat))
	fmt.Printf("  uploading the file set (before _SUCCESS): p50 %s ms\n", ms(pct(puts, 50)))
	benchutil.Result("tool", "latency", "n", len(lat), "bytes", total, "files", len(files),
		"p50_ms", ms(pct(lat, 50)), "p90_ms", ms(pct(lat, 90)), "p99_ms", ms(pct(lat, 99)),
		"max_ms", ms(lat[len(lat)-1]), "put_p50_ms", ms(pct(puts, 50)))
	return nil
}

// pct returns the p-th percentile of sorted durations (nearest rank).
func pct(sorted []time.Duration, p float64) time.Duration {
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// makeFiles splits size bytes of CSV into n files, each with the header.
func makeFiles(size int64, n int) [][]byte {
	out := make([][]byte, n)
	var row uint64
	for k := range out {
		b := []byte(dataset.Header() + "\n")
		for int64(len(b)) < size/int64(n) {
			b = dataset.AppendRow(b, row)
			row++
		}
		out[k] = b
	}
	return out
}

// poller reads a dataset's ingestions through the console API.
type poller struct {
	http  *http.Client
	url   string
	token string
}

// waitCommitted polls until the folder's run is committed; a failed run
// or the timeout is an error.
func (p *poller) waitCommitted(folder string, every, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		status, msg, err := p.status(folder)
		if err != nil {
			return err
		}
		switch status {
		case "committed":
			return nil
		case "failed":
			return fmt.Errorf("ingestion failed: %s", msg)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not committed after %s (status %q)", timeout, status)
		}
		time.Sleep(every)
	}
}

func (p *poller) status(folder string) (status, msg string, err error) {
	req, err := http.NewRequest("GET", p.url, nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := p.http.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		return "", "", fmt.Errorf("GET ingestions: %s: %s", resp.Status, b)
	}
	var out struct {
		Ingestions []struct {
			Folder string `json:"folder"`
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"ingestions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", "", err
	}
	for _, r := range out.Ingestions {
		if r.Folder == folder {
			return r.Status, r.Error, nil
		}
	}
	return "", "", nil
}
