// Command s3load is the project's S3 load generator.
//
// It drives one S3 operation (put, get, head or list) from a number of
// concurrent clients against a loopback endpoint, with the aws-sdk-go-v2 S3
// client in path style, and prints throughput and latency. Every run is
// bounded: by -duration always and by -count when it is set.
//
// Payloads are signed (SHA-256 of the body in x-amz-content-sha256) unless
// -unsigned is given, which sends UNSIGNED-PAYLOAD. Request checksums are
// computed only when an operation requires them, so no CRC32 is added to a
// PutObject and the comparison with a do-nothing server stays fair.
//
// The last line printed is machine readable and starts with "RESULT ".
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"inlet/internal/credfile"
)

// maxDuration bounds any single run, whatever the flags say.
const maxDuration = 15 * time.Minute

type config struct {
	endpoint   string
	credFile   string
	profile    string
	accessKey  string
	secretKey  string
	bucket     string
	op         string
	size       int64
	clients    int
	duration   time.Duration
	warmup     time.Duration
	count      int64
	unsigned   bool
	keys       int
	overwrite  int
	prefix     string
	listPrefix string
	setup      bool
	mkbucket   bool
	opTimeout  time.Duration
	cpuProfile string
	label      string
	serverPID  int
}

func main() {
	var c config
	flag.StringVar(&c.endpoint, "endpoint", "", "S3 endpoint URL on loopback, e.g. http://127.0.0.1:9000 (required)")
	flag.StringVar(&c.credFile, "credentials", "", "credentials file with aws_access_key_id and aws_secret_access_key")
	flag.StringVar(&c.profile, "profile", "default", "section of the credentials file to use")
	flag.StringVar(&c.accessKey, "access-key", "bench", "access key id when no credentials file is given")
	flag.StringVar(&c.secretKey, "secret-key", "benchsecret", "secret access key when no credentials file is given")
	flag.StringVar(&c.bucket, "bucket", "bench", "bucket name")
	flag.StringVar(&c.op, "op", "put", "operation: put, get, head, list, fill or mkbucket")
	flag.Int64Var(&c.size, "size", 4096, "object size in bytes (put, get, head, fill)")
	flag.IntVar(&c.clients, "clients", 1, "concurrent clients")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "measured run time (upper bound)")
	flag.DurationVar(&c.warmup, "warmup", 0, "unmeasured run time before the measured one")
	flag.Int64Var(&c.count, "count", 0, "stop after this many measured operations (0: duration only); for fill, the number of keys")
	flag.BoolVar(&c.unsigned, "unsigned", false, "send UNSIGNED-PAYLOAD instead of the body's SHA-256")
	flag.IntVar(&c.keys, "keys", 0, "distinct objects that get/head read, pre-put when -setup (0: clients for objects of 1 MiB or more, else 256)")
	flag.IntVar(&c.overwrite, "overwrite", 0, "put: keys each client cycles through (0: a new key for every put)")
	flag.StringVar(&c.prefix, "prefix", "load", "key prefix for put/get/head")
	flag.StringVar(&c.listPrefix, "list-prefix", "list/", "key prefix that fill writes and list reads")
	flag.BoolVar(&c.setup, "setup", true, "get/head: pre-put the objects before measuring")
	flag.BoolVar(&c.mkbucket, "create-bucket", true, "create the bucket first (an already owned bucket is fine)")
	flag.DurationVar(&c.opTimeout, "op-timeout", 2*time.Minute, "timeout of one request")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of this client's measured phase to this file")
	flag.StringVar(&c.label, "label", "", "free text copied into the RESULT line")
	flag.IntVar(&c.serverPID, "server-pid", 0, "Linux: also report the CPU time this local server process uses in the measured phase")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), log, &c); err != nil {
		log.Error("s3load failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, c *config) error {
	if err := c.check(); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	if c.mkbucket || c.op == "mkbucket" {
		if err := createBucket(ctx, client, c.bucket); err != nil {
			return err
		}
		if c.op == "mkbucket" {
			fmt.Printf("RESULT op=mkbucket bucket=%s ok=1\n", c.bucket)
			return nil
		}
	}
	l := &loader{c: c, client: client, log: log, buf: makeBody(c.size)}
	if c.op == "get" || c.op == "head" {
		if c.setup {
			if err := l.prePut(ctx); err != nil {
				return fmt.Errorf("pre-put: %w", err)
			}
		}
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		l.startProfile = func() { _ = pprof.StartCPUProfile(f) }
		defer pprof.StopCPUProfile()
	}
	res := l.run(ctx)
	res.print(c)
	if res.ops == 0 {
		return errors.New("no operation succeeded")
	}
	return nil
}

func (c *config) check() error {
	switch c.op {
	case "put", "get", "head", "list", "fill", "mkbucket":
	default:
		return fmt.Errorf("unknown -op %q", c.op)
	}
	if c.endpoint == "" {
		return errors.New("-endpoint is required")
	}
	u, err := url.Parse(c.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bad -endpoint %q", c.endpoint)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("-endpoint %q is not a loopback address; s3load sends load only to this machine", c.endpoint)
	}
	if c.clients < 1 || c.clients > 1024 {
		return errors.New("-clients must be 1..1024")
	}
	if c.size < 0 || c.size > 5<<30 {
		return errors.New("-size must be 0..5 GiB")
	}
	if c.duration <= 0 || c.duration+c.warmup > maxDuration {
		return fmt.Errorf("-duration plus -warmup must be positive and at most %v", maxDuration)
	}
	if c.op == "fill" && c.count <= 0 {
		return errors.New("fill needs -count, the number of keys to write")
	}
	if c.keys <= 0 {
		c.keys = 256
		if c.size >= 1<<20 {
			c.keys = c.clients
		}
	}
	if c.overwrite < 0 {
		return errors.New("-overwrite must not be negative")
	}
	if c.credFile != "" {
		ak, sk, err := credfile.Read(c.credFile, c.profile)
		if err != nil {
			return err
		}
		c.accessKey, c.secretKey = ak, sk
	}
	return nil
}

// loopbackHost tells whether host names this machine's loopback interface.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newClient(c *config) (*s3.Client, error) {
	idle := 2*c.clients + 16
	tr := &http.Transport{
		Proxy: nil, // never send benchmark traffic through a proxy
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          idle,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		WriteBufferSize:       256 << 10,
		ReadBufferSize:        256 << 10,
	}
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(c.accessKey, c.secretKey, "")),
		HTTPClient:  &http.Client{Transport: tr},
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	endpoint := c.endpoint
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = &endpoint
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
		if c.unsigned {
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}
	}), nil
}

func createBucket(ctx context.Context, client *s3.Client, bucket string) error {
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "BucketAlreadyOwnedByYou" || ae.ErrorCode() == "BucketAlreadyExists") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// makeBody fills a buffer that PUT bodies are cut from.
func makeBody(size int64) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

type loader struct {
	c            *config
	client       *s3.Client
	log          *slog.Logger
	buf          []byte
	startProfile func()
	errLogged    atomic.Int64
}

func (l *loader) objKey(name string) string {
	return fmt.Sprintf("%s/obj-%d-%s", l.c.prefix, l.c.size, name)
}

func (l *loader) getKey(i int) string { return l.objKey(fmt.Sprintf("g%d", i)) }

func (l *loader) put(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, l.c.opTimeout)
	defer cancel()
	_, err := l.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &l.c.bucket,
		Key:           &key,
		Body:          bytes.NewReader(l.buf),
		ContentLength: aws.Int64(int64(len(l.buf))),
	})
	return err
}

// prePut writes the objects that get and head read.
func (l *loader) prePut(ctx context.Context) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, l.c.clients)
	for range l.c.clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= l.c.keys {
					return
				}
				if err := l.put(ctx, l.getKey(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// worker is one client's state and samples.
type worker struct {
	id    int
	n     int // operations started by this worker, measured or not
	lat   []time.Duration
	bytes int64
	keys  int64
	errs  int64
	rbuf  []byte
	token *string
	// first is when this worker started its first measured operation and
	// last when its last one ended: its measured span, free of the time an
	// operation begun during the warm-up spends in the measured phase.
	first, last time.Time
}

func (l *loader) run(ctx context.Context) *result {
	c := l.c
	start := time.Now()
	measureFrom := start.Add(c.warmup)
	deadline := measureFrom.Add(c.duration)
	var measured atomic.Int64
	var cpuAtStart time.Duration
	var measureOnce sync.Once
	var serverAtStart time.Duration
	onMeasure := func() {
		cpuAtStart = cpuTime()
		serverAtStart = procCPU(c.serverPID)
		if l.startProfile != nil {
			l.startProfile()
		}
	}
	if c.warmup == 0 {
		measureOnce.Do(onMeasure)
	}
	workers := make([]*worker, c.clients)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{id: i, lat: make([]time.Duration, 0, 1024)}
		if c.op == "get" {
			w.rbuf = make([]byte, 256<<10)
		}
		workers[i] = w
		wg.Go(func() {
			for {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				inMeasure := !t0.Before(measureFrom)
				var seq int64
				if inMeasure {
					measureOnce.Do(onMeasure)
					seq = measured.Add(1)
					if c.count > 0 && seq > c.count {
						return
					}
				}
				nb, nk, err := l.do(ctx, w, seq)
				w.n++
				if !inMeasure {
					continue
				}
				if w.first.IsZero() {
					w.first = t0
				}
				w.last = time.Now()
				if err != nil {
					w.errs++
					if l.errLogged.Add(1) <= 5 {
						l.log.Warn("request failed", "op", c.op, "err", err)
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
				w.bytes += nb
				w.keys += nk
			}
		})
	}
	wg.Wait()
	res := &result{cpu: cpuTime() - cpuAtStart}
	if c.serverPID > 0 {
		res.serverCPU = procCPU(c.serverPID) - serverAtStart
	}
	var first, last time.Time
	for _, w := range workers {
		res.lat = append(res.lat, w.lat...)
		res.bytes += w.bytes
		res.keys += w.keys
		res.errs += w.errs
		if w.first.IsZero() {
			continue
		}
		// Each worker is a closed loop, so the total rate is the sum of
		// the workers' rates over their own spans.
		span := w.last.Sub(w.first).Seconds()
		res.opsRate += float64(len(w.lat)) / span
		res.byteRate += float64(w.bytes) / span
		res.keyRate += float64(w.keys) / span
		if first.IsZero() || w.first.Before(first) {
			first = w.first
		}
		if w.last.After(last) {
			last = w.last
		}
	}
	res.elapsed = last.Sub(first)
	res.ops = int64(len(res.lat))
	slices.Sort(res.lat)
	return res
}

// do runs one operation and returns the payload bytes and listed keys.
func (l *loader) do(ctx context.Context, w *worker, seq int64) (int64, int64, error) {
	c := l.c
	switch c.op {
	case "put":
		var name string
		if c.overwrite > 0 {
			name = fmt.Sprintf("w%d-%d", w.id, w.n%c.overwrite)
		} else {
			name = fmt.Sprintf("w%d-%d", w.id, w.n)
		}
		return int64(len(l.buf)), 0, l.put(ctx, l.objKey(name))
	case "fill":
		key := fmt.Sprintf("%sk%08d", c.listPrefix, seq-1)
		return int64(len(l.buf)), 0, l.put(ctx, key)
	case "get":
		key := l.getKey((w.id + w.n*c.clients) % c.keys)
		return l.get(ctx, w, key)
	case "head":
		key := l.getKey((w.id + w.n*c.clients) % c.keys)
		ctx, cancel := context.WithTimeout(ctx, c.opTimeout)
		defer cancel()
		out, err := l.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &c.bucket, Key: &key})
		if err != nil {
			return 0, 0, err
		}
		if out.ContentLength == nil || *out.ContentLength != c.size {
			return 0, 0, fmt.Errorf("head %s: content length %v, want %d", key, out.ContentLength, c.size)
		}
		return 0, 0, nil
	case "list":
		return l.list(ctx, w)
	}
	return 0, 0, fmt.Errorf("unknown op %q", c.op)
}

func (l *loader) get(ctx context.Context, w *worker, key string) (int64, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.c.opTimeout)
	defer cancel()
	out, err := l.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &l.c.bucket, Key: &key})
	if err != nil {
		return 0, 0, err
	}
	defer out.Body.Close()
	var n int64
	for {
		m, err := out.Body.Read(w.rbuf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, 0, err
		}
	}
	if n != l.c.size {
		return n, 0, fmt.Errorf("get %s: read %d bytes, want %d", key, n, l.c.size)
	}
	return n, 0, nil
}

// list reads the next ListObjectsV2 page of 1,000 keys, walking the prefix
// and starting over at its end.
func (l *loader) list(ctx context.Context, w *worker) (int64, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.c.opTimeout)
	defer cancel()
	out, err := l.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:            &l.c.bucket,
		Prefix:            &l.c.listPrefix,
		MaxKeys:           aws.Int32(1000),
		ContinuationToken: w.token,
	})
	if err != nil {
		w.token = nil
		return 0, 0, err
	}
	w.token = nil
	if aws.ToBool(out.IsTruncated) {
		w.token = out.NextContinuationToken
	}
	if len(out.Contents) == 0 {
		return 0, 0, errors.New("list: empty page")
	}
	return 0, int64(len(out.Contents)), nil
}

// cpuTime is the user plus system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads the user plus system CPU time of process pid from
// /proc/PID/stat (Linux; zero elsewhere or for pid 0). The kernel counts it
// in USER_HZ ticks, which is 100 per second on Linux.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesized command name, which may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime: fields 14 and 15 of the line
		var n int64
		if _, err := fmt.Sscan(s, &n); err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100)
}

type result struct {
	elapsed   time.Duration
	serverCPU time.Duration // -server-pid's CPU time in the measured phase
	cpu       time.Duration // client CPU time in the measured phase
	ops       int64
	bytes     int64
	keys      int64
	errs      int64
	lat       []time.Duration
	// rates summed over the workers' own measured spans
	opsRate, byteRate, keyRate float64
}

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat))*p+0.5) - 1
	i = max(0, min(i, len(r.lat)-1))
	return r.lat[i]
}

func (r *result) print(c *config) {
	secs := r.elapsed.Seconds()
	opsPerSec := r.opsRate
	mbPerSec := r.byteRate / 1e6
	payload := "signed"
	if c.unsigned {
		payload = "unsigned"
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("%s size=%d clients=%d payload=%s checksum=when_required\n", c.op, c.size, c.clients, payload)
	fmt.Printf("  ops %d in %.2fs, errors %d\n", r.ops, secs, r.errs)
	fmt.Printf("  %.1f ops/s, %.1f MB/s", opsPerSec, mbPerSec)
	if c.op == "list" {
		fmt.Printf(", %.0f keys/s", r.keyRate)
	}
	fmt.Printf("\n  latency p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", ms(r.pct(0.50)), ms(r.pct(0.99)), ms(r.pct(1)))
	cpuPerOp := 0.0
	if r.ops > 0 {
		cpuPerOp = float64(r.cpu.Microseconds()) / float64(r.ops)
	}
	cpuShare := 0.0
	if secs > 0 {
		cpuShare = 100 * r.cpu.Seconds() / secs
	}
	fmt.Printf("  client CPU %.2fs (%.0f%% of one core), %.1f µs/op\n", r.cpu.Seconds(), cpuShare, cpuPerOp)
	serverPerOp := -1.0
	if c.serverPID > 0 && r.ops > 0 {
		serverPerOp = float64(r.serverCPU.Microseconds()) / float64(r.ops)
		fmt.Printf("  server CPU %.2fs, %.1f µs/op\n", r.serverCPU.Seconds(), serverPerOp)
	}
	label := strings.ReplaceAll(c.label, " ", "_")
	if label == "" {
		label = "-"
	}
	fmt.Printf("RESULT label=%s op=%s size=%d clients=%d payload=%s ops=%d elapsed_s=%.3f ops_per_s=%.2f mb_per_s=%.2f keys_per_s=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d client_cpu_us_per_op=%.1f server_cpu_us_per_op=%.1f\n",
		label, c.op, c.size, c.clients, payload, r.ops, secs, opsPerSec, mbPerSec, r.keyRate,
		ms(r.pct(0.50)), ms(r.pct(0.99)), ms(r.pct(1)), r.errs, cpuPerOp, serverPerOp)
}
