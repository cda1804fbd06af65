// Package s3api is the S3 wire front of the embedded cloud: it routes
// path-style and virtual-host-style requests through a route table,
// authenticates them with SigV4, authorizes them, calls the object store and
// renders S3's XML replies and errors.
package s3api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"inlet/internal/authz"
	"inlet/internal/bucketconf"
	"inlet/internal/identity"
	"inlet/internal/objstore"
	"inlet/internal/sigv4"
)

// Principals resolves the access key (and session token) of a verified
// request to its principal.
type Principals interface {
	Authenticate(ctx context.Context, accessKeyID, sessionToken string) (identity.Principal, error)
}

// Authorizer decides access.
type Authorizer interface {
	Authorize(ctx context.Context, in authz.Input) (authz.Decision, error)
}

// Config configures the S3 front.
type Config struct {
	Store      *objstore.Store
	Verifier   *sigv4.Verifier
	Principals Principals
	Authorizer Authorizer
	// Buckets keeps bucket policies, ownership controls and denial logs.
	Buckets *bucketconf.Store
	// ObjectCreated, when set, is told of every object written (PUT, copy,
	// completed multipart upload) after it is durable. It must not block.
	ObjectCreated func(bucket, key string)
	// Region is the endpoint's region (default us-east-1).
	Region string
	// Domain enables virtual-host-style requests: a Host of
	// BUCKET.Domain addresses BUCKET.
	Domain string
	Logger *slog.Logger
}

// Server is the S3 front. It is an http.Handler.
type Server struct {
	cfg   Config
	log   *slog.Logger
	reqID atomic.Uint64
	idPfx string

	policies  sync.Map     // bucket policy document -> *policy.Policy
	nPolicies atomic.Int64 // entries in policies, to bound it

	denialWrites *boundedGo // denial-log writes in flight
}

// New returns the S3 front.
func New(cfg Config) *Server {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var p [4]byte
	rand.Read(p[:])
	return &Server{cfg: cfg, log: cfg.Logger.With("component", "s3"), idPfx: strings.ToUpper(hex.EncodeToString(p[:])),
		denialWrites: newBoundedGo(maxDenialWrites)}
}

// request is the per-request state handed to handlers.
type request struct {
	r         *http.Request
	w         *responseWriter
	id        string
	op        string
	bucket    string
	key       string
	query     url.Values
	auth      *sigv4.Auth
	principal identity.Principal
	body      io.Reader // decoded, verified payload
	secure    bool
	vhost     bool // the bucket came from the Host (virtual-host style)
	start     time.Time
}

type handlerFunc func(s *Server, q *request) error

// ServeHTTP runs the middleware chain: request id, recover, access log,
// authentication, routing and the handler; errors render in one place.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &responseWriter{ResponseWriter: w}
	q := &request{r: r, w: rw, id: s.newRequestID(), secure: r.TLS != nil, start: start}
	rw.Header().Set("x-amz-request-id", q.id)
	rw.Header().Set("x-amz-id-2", q.id)
	rw.Header().Set("Server", "inlet")

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "request_id", q.id, "op", q.op, "panic", fmt.Sprint(v))
			s.writeError(q, newError("InternalError"))
		}
		s.logRequest(q, start)
	}()

	if err := s.serve(q); err != nil {
		s.writeError(q, err)
	}
}

func (s *Server) serve(q *request) error {
	r := q.r
	q.bucket, q.key, q.vhost = s.splitTarget(r)
	var err error
	q.query, err = url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errorf("InvalidArgument", "The query string is malformed: %v", err)
	}

	h, op := route(r.Method, q.bucket, q.key, q.query, r.Header)
	q.op = op
	if h == nil {
		return newError("NotImplemented")
	}
	if q.bucket != "" && !validBucketName(q.bucket) && op != "CreateBucket" {
		// An invalid name cannot exist; answer as S3 does for a missing bucket.
		return newError("NoSuchBucket")
	}
	if len(q.key) > 1024 {
		return newError("KeyTooLongError")
	}

	if err := s.authenticate(q); err != nil {
		return err
	}
	if err := unsupportedObjectHeaders(q); err != nil {
		return err
	}
	return h(s, q)
}

// sseCustomerHeaders name a customer-provided encryption key (SSE-C), for
// the object or for a copy's source.
var sseCustomerHeaders = []string{
	"x-amz-server-side-encryption-customer-algorithm",
	"x-amz-server-side-encryption-customer-key",
	"x-amz-server-side-encryption-customer-key-MD5",
	"x-amz-copy-source-server-side-encryption-customer-algorithm",
	"x-amz-copy-source-server-side-encryption-customer-key",
	"x-amz-copy-source-server-side-encryption-customer-key-MD5",
}

var objectLockHeaders = []string{
	"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
}

// unsupportedObjectHeaders refuses requests for object protections the
// embedded cloud does not have (customer-key or KMS encryption, Object
// Lock), rather than store an object without the protection the client
// asked for and answer as if it had it. SSE-S3 (AES256) is accepted: S3
// applies it to every object anyway.
func unsupportedObjectHeaders(q *request) error {
	if q.key == "" {
		return nil
	}
	h := q.r.Header
	for _, name := range sseCustomerHeaders {
		if h.Get(name) != "" {
			return errorf("NotImplemented", "Server-side encryption with customer-provided keys (SSE-C) is not supported")
		}
	}
	switch q.op {
	case "PutObject", "CopyObject", "CreateMultipartUpload":
	default:
		return nil
	}
	switch v := h.Get("x-amz-server-side-encryption"); v {
	case "", "AES256":
	case "aws:kms", "aws:kms:dsse":
		return errorf("NotImplemented", "Server-side encryption with AWS KMS keys (%s) is not supported", v)
	default:
		return errorf("InvalidArgument", "The encryption method specified is not supported")
	}
	for _, name := range objectLockHeaders {
		if h.Get(name) != "" {
			return errorf("InvalidRequest", "Bucket is missing Object Lock Configuration")
		}
	}
	return nil
}

func (s *Server) authenticate(q *request) error {
	a, err := s.cfg.Verifier.Verify(q.r)
	if err != nil {
		return err
	}
	if a == nil {
		return errorf("AccessDenied", "Anonymous access is not allowed: sign requests with AWS Signature Version 4")
	}
	q.auth = a
	q.body = a.Body
	p, err := s.cfg.Principals.Authenticate(q.r.Context(), a.AccessKeyID, a.SessionToken)
	switch {
	case errors.Is(err, identity.ErrExpiredToken):
		return newError("ExpiredToken")
	case errors.Is(err, identity.ErrInvalidToken):
		return newError("InvalidToken")
	case errors.Is(err, sigv4.ErrUnknownKey):
		return newError("InvalidAccessKeyId")
	case err != nil:
		return fmt.Errorf("resolve principal: %w", err)
	}
	q.principal = p
	return nil
}

// splitTarget extracts bucket and key from the Host (virtual-host style)
// or the path (path style). The key keeps every byte of the decoded path:
// a leading slash or "//" inside a key is significant.
func (s *Server) splitTarget(r *http.Request) (bucket, key string, vhost bool) {
	path := r.URL.Path
	if s.cfg.Domain != "" {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(host, ".") // a fully qualified name
		if b, ok := strings.CutSuffix(strings.ToLower(host), "."+s.cfg.Domain); ok && b != "" {
			return b, strings.TrimPrefix(path, "/"), true
		}
	}
	p := strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key, false
}

// objectURL is the URL of an object as the request addressed its bucket
// (S3's Location in CompleteMultipartUpload).
func (q *request) objectURL(bucket, key string) string {
	scheme := "http"
	if q.secure {
		scheme = "https"
	}
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	path := "/" + strings.Join(segs, "/")
	if !q.vhost {
		path = "/" + bucket + path
	}
	return scheme + "://" + q.r.Host + path
}

func (s *Server) newRequestID() string {
	return fmt.Sprintf("%s%08X", s.idPfx, s.reqID.Add(1))
}

// writeError renders err as S3 error XML (no body for HEAD).
func (s *Server) writeError(q *request, err error) {
	e := toWire(err)
	if e.Code == "InternalError" {
		s.log.Error("internal error", "request_id", q.id, "op", q.op, "bucket", q.bucket, "error", err)
	} else {
		s.log.Debug("request failed", "request_id", q.id, "op", q.op, "code", e.Code, "error", err)
	}
	q.errCode(e.Code)
	if q.w.wrote {
		// Headers are gone; the best we can do is cut the connection so the
		// client sees a truncated body rather than a wrong one.
		panic(http.ErrAbortHandler)
	}
	h := q.w.Header()
	status := e.status()
	// A 304 carries the validators of the object it stands for (RFC 9110
	// 15.4.5); any other error drops what a handler set for a success.
	drop := []string{"ETag", "Last-Modified", "Content-Range", "Accept-Ranges"}
	if status == http.StatusNotModified {
		drop = drop[2:]
	}
	for _, k := range drop {
		h.Del(k)
	}
	if status == http.StatusNotModified || q.r.Method == http.MethodHead {
		q.w.WriteHeader(status)
		return
	}
	resource := q.r.URL.Path
	body, _ := xml.Marshal(withContext(e, q).body(resource, q.id))
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(xml.Header)+len(body)))
	q.w.WriteHeader(status)
	io.WriteString(q.w, xml.Header)
	q.w.Write(body)
}

func (q *request) errCode(code string) { q.w.code = code }

// created reports a written object to the ObjectCreated hook.
func (s *Server) created(bucket, key string) {
	if s.cfg.ObjectCreated != nil {
		s.cfg.ObjectCreated(bucket, key)
	}
}

// withContext adds the element S3 names the missing thing with (Key,
// BucketName, UploadId) when the error does not carry it yet.
func withContext(e *Error, q *request) *Error {
	var name, value string
	switch e.Code {
	case "NoSuchKey":
		name, value = "Key", q.key
	case "NoSuchBucket":
		name, value = "BucketName", q.bucket
	case "NoSuchUpload":
		name, value = "UploadId", q.query.Get("uploadId")
	default:
		return e
	}
	for _, x := range e.Extra {
		if x[0] == name {
			return e
		}
	}
	c := *e
	c.Extra = append([][2]string{{name, value}}, e.Extra...)
	return &c
}

// writeXML renders a successful XML reply.
func writeXML(q *request, status int, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(xml.Header)+len(body)))
	q.w.WriteHeader(status)
	io.WriteString(q.w, xml.Header)
	q.w.Write(body)
	return nil
}

func (s *Server) logRequest(q *request, start time.Time) {
	attrs := []slog.Attr{
		slog.String("request_id", q.id),
		slog.String("op", q.op),
		slog.String("method", q.r.Method),
		slog.Int("status", q.w.statusCode()),
		slog.Int64("bytes_out", q.w.n),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if q.bucket != "" {
		attrs = append(attrs, slog.String("bucket", q.bucket))
	}
	if q.key != "" {
		attrs = append(attrs, slog.String("key", q.key))
	}
	if q.r.ContentLength > 0 {
		attrs = append(attrs, slog.Int64("bytes_in", q.r.ContentLength))
	}
	if q.auth != nil {
		attrs = append(attrs, slog.String("access_key_id", q.auth.AccessKeyID))
	}
	if q.w.code != "" {
		attrs = append(attrs, slog.String("code", q.w.code))
	}
	s.log.LogAttrs(q.r.Context(), slog.LevelInfo, "request", attrs...)
}

// responseWriter records the status and byte count for the access log.
type responseWriter struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
	code   string
}

func (w *responseWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.status, w.wrote = status, true
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// ReadFrom lets an object body copy itself into the response (its WriteTo).
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.n += n
	return n, err
}

func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *responseWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
