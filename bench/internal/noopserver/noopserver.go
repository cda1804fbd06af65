// Package noopserver is a do-nothing S3 endpoint: the benchmark ceiling.
//
// It never verifies a signature. PUT object drains the body and answers 200
// with an ETag, GET object streams bytes from a fixed buffer, HEAD answers the
// headers alone, CreateBucket answers 200 and ListObjectsV2 answers a fixed
// page rendered once. The size of a GET or HEAD object comes from its key: a
// last path segment of the form "obj-SIZE-..." (for example "obj-67108864-3")
// means SIZE bytes; other keys get Options.GetSize.
package noopserver

import (
	"fmt"
	"io"
	"net/http"
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

// Options shape the fixed answers.
type Options struct {
	// GetSize is the object size for GET/HEAD keys that do not name one.
	GetSize int64
	// Bucket is the name written into the ListObjectsV2 page.
	Bucket string
	// ListKeys is the number of keys in the ListObjectsV2 page.
	ListKeys int
}

// New returns the do-nothing S3 handler.
func New(o Options) http.Handler {
	return newHandler(o.GetSize, o.Bucket, o.ListKeys)
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
// the ones the load generator's fill mode writes, with the elements S3 lists
// for them: every object stored since S3 checksums each upload carries its
// checksum algorithm and type (CRC64NVME, FULL_OBJECT, when the client named
// none), and the client parses them with the rest.
func renderList(bucket string, n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	fmt.Fprintf(&b, "<Name>%s</Name><Prefix>list/</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>", bucket, n)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<Contents><Key>list/k%08d</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>16</Size><StorageClass>STANDARD</StorageClass>"+
			"<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType></Contents>", i)
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
