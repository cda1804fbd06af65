// Command noop is a do-nothing S3 server used as the benchmark ceiling.
//
// It answers the requests the load generator sends as cheaply as it can and
// never verifies a signature: PUT object drains the body and answers 200 with
// an ETag, GET object streams bytes from a fixed buffer, HEAD answers the
// headers alone, CreateBucket answers 200 and ListObjectsV2 answers a fixed
// 1,000-key page rendered once at start. Client and server share the CPU on a
// small machine, so what the load generator reaches against this server is the
// best any real server could do there.
//
// The size of a GET or HEAD object comes from its key: a last path segment of
// the form "obj-SIZE-..." (for example "obj-67108864-3") means SIZE bytes;
// other keys get the -get-size flag's value.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
)

const (
	etag         = `"0123456789abcdef0123456789abcdef"`
	lastModified = "Mon, 01 Jan 2024 00:00:00 GMT"
	// chunk is the size of the fixed buffer GET bodies are written from and
	// of the buffers PUT bodies are drained into.
	chunk = 1 << 20
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9100", "loopback address to listen on")
	getSize := flag.Int64("get-size", 4096, "object size for GET/HEAD keys that do not name one")
	listKeys := flag.Int("list-keys", 1000, "number of keys in the fixed ListObjectsV2 page")
	bucket := flag.String("bucket", "bench", "bucket name written into the ListObjectsV2 page")
	addrFile := flag.String("addr-file", "", "if set, write the bound address to this file once listening")
	consoleAddr := flag.String("console-addr", "", "if set, also answer GET /healthz with 200 on this loopback address, so noop can stand in for inlet when testing bench/run.sh")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !isLoopback(host) {
		log.Error("refusing a non-loopback listen address", "addr", *addr)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			log.Error("write addr file", "err", err)
			os.Exit(1)
		}
	}
	h := newHandler(*getSize, *bucket, *listKeys)
	if *consoleAddr != "" {
		if err := serveConsole(log, *consoleAddr); err != nil {
			log.Error("console", "err", err)
			os.Exit(1)
		}
	}
	log.Info("noop S3 server listening", "addr", ln.Addr().String())
	srv := &http.Server{Handler: h, ErrorLog: nil}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}

// serveConsole answers /healthz on addr in the background.
func serveConsole(log *slog.Logger, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopback(host) {
		return fmt.Errorf("refusing non-loopback console address %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	go func() {
		if err := http.Serve(ln, mux); err != nil {
			log.Error("console serve", "err", err)
		}
	}()
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handler is the do-nothing S3 endpoint.
type handler struct {
	getSize  int64
	data     []byte // fixed GET payload, chunk bytes
	listPage []byte // pre-rendered ListObjectsV2 page
	listLen  string
	bufs     sync.Pool
}

func newHandler(getSize int64, bucket string, listKeys int) *handler {
	h := &handler{getSize: getSize, data: make([]byte, chunk)}
	for i := range h.data {
		h.data[i] = byte('a' + i%26)
	}
	h.listPage = renderList(bucket, listKeys)
	h.listLen = strconv.Itoa(len(h.listPage))
	h.bufs.New = func() any { b := make([]byte, chunk); return &b }
	return h
}

// renderList builds one ListObjectsV2 result page holding n keys shaped like
// the ones the load generator's fill mode writes.
func renderList(bucket string, n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	fmt.Fprintf(&b, "<Name>%s</Name><Prefix>list/</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>", bucket, n)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<Contents><Key>list/k%08d</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>16</Size><StorageClass>STANDARD</StorageClass></Contents>", i)
	}
	b.WriteString("</ListBucketResult>")
	return []byte(b.String())
}

// splitPath returns the bucket and key of a path-style request.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// sizeOf reads an object size from a key whose last segment is "obj-SIZE-...".
func (h *handler) sizeOf(key string) int64 {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		key = key[i+1:]
	}
	if rest, ok := strings.CutPrefix(key, "obj-"); ok {
		if j := strings.IndexByte(rest, '-'); j > 0 {
			rest = rest[:j]
		}
		if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n >= 0 {
			return n
		}
	}
	return h.getSize
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key := splitPath(r.URL.Path)
	hdr := w.Header()
	hdr["X-Amz-Request-Id"] = []string{"0"}
	switch {
	case bucket == "":
		// ListBuckets and anything else at the root: an empty, valid answer.
		hdr["Content-Type"] = []string{"application/xml"}
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>`)
	case key == "":
		h.bucketRequest(w, r)
	default:
		h.objectRequest(w, r, key)
	}
}

func (h *handler) bucketRequest(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	switch r.Method {
	case http.MethodGet:
		hdr["Content-Type"] = []string{"application/xml"}
		hdr["Content-Length"] = []string{h.listLen}
		_, _ = w.Write(h.listPage)
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default: // PUT (CreateBucket), HEAD (HeadBucket), POST
		h.drain(r.Body)
		hdr["Location"] = []string{r.URL.Path}
		hdr["Content-Length"] = []string{"0"}
	}
}

func (h *handler) objectRequest(w http.ResponseWriter, r *http.Request, key string) {
	hdr := w.Header()
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		h.drain(r.Body)
		hdr["Etag"] = []string{etag}
		hdr["Content-Length"] = []string{"0"}
	case http.MethodGet, http.MethodHead:
		size := h.sizeOf(key)
		hdr["Etag"] = []string{etag}
		hdr["Last-Modified"] = []string{lastModified}
		hdr["Content-Type"] = []string{"application/octet-stream"}
		hdr["Accept-Ranges"] = []string{"bytes"}
		hdr["Content-Length"] = []string{strconv.FormatInt(size, 10)}
		if r.Method == http.MethodHead {
			return
		}
		for size > 0 {
			n := min(size, int64(len(h.data)))
			if _, err := w.Write(h.data[:n]); err != nil {
				return
			}
			size -= n
		}
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// drain reads and discards a request body with a pooled buffer.
func (h *handler) drain(body io.Reader) {
	bp := h.bufs.Get().(*[]byte)
	buf := *bp
	for {
		if _, err := body.Read(buf); err != nil {
			break
		}
	}
	h.bufs.Put(bp)
}
