// Package api is the Dataset Manager's REST API under /api/v1: tenants,
// their users and tokens, datasets, and managed-bucket sources with their
// provisioning and partner instructions. JSON in and out; errors are
// {"error":{"code":…,"message":…,"field":…}}; callers authenticate with
// bearer tokens scoped to a tenant (or the operator's admin token).
package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"inlet/internal/catalog"
	"inlet/internal/provision"
)

// Provisioner creates and removes what a managed-bucket source needs in
// the cloud.
type Provisioner interface {
	Provision(ctx context.Context, spec provision.Spec) (provision.Result, error)
	Teardown(ctx context.Context, spec provision.Spec, force bool) error
	PlatformAccountID(ctx context.Context) (string, error)
}

// Config configures the API.
type Config struct {
	Catalog     *catalog.Store
	Provisioner Provisioner
	Ingestion   Ingestion
	Tables      Tables
	// Denials, when set, reads the denial logs of managed buckets (the
	// embedded cloud keeps them).
	Denials Denials
	// BucketPrefix starts every managed bucket's name (default "inlet").
	BucketPrefix string
	// Region and Endpoint describe the cloud partners write to; Endpoint
	// is empty for AWS itself.
	Region   string
	Endpoint string
	Logger   *slog.Logger
}

// Server is the REST API. It is an http.Handler.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the API.
func New(cfg Config) *Server {
	if cfg.BucketPrefix == "" {
		cfg.BucketPrefix = "inlet"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "api"), mux: http.NewServeMux()}
	for _, r := range routes {
		s.mux.Handle(r.Method+" "+r.Pattern, s.wrap(r))
	}
	s.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &apiError{status: 404, code: "not_found", msg: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// apiError is an error with its wire form. Handlers return errors; wrap
// renders them in one place.
type apiError struct {
	status int
	code   string
	msg    string
	field  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(field, format string, args ...any) error {
	return &apiError{status: 400, code: "invalid_argument", msg: fmt.Sprintf(format, args...), field: field}
}

// toAPIError maps domain errors to wire errors.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *catalog.ValidationError
	if errors.As(err, &ve) {
		return &apiError{status: 400, code: "invalid_argument", msg: ve.Message, field: ve.Field}
	}
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return &apiError{status: 404, code: "not_found", msg: "not found"}
	case errors.Is(err, catalog.ErrConflict):
		return &apiError{status: 409, code: "conflict", msg: strings.TrimPrefix(err.Error(), "catalog: ")}
	case errors.Is(err, catalog.ErrUnauthorized):
		return &apiError{status: 401, code: "unauthenticated", msg: "invalid credentials"}
	}
	return &apiError{status: 500, code: "internal", msg: "internal error"}
}

func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	body := map[string]any{"code": e.code, "message": e.msg}
	if e.field != "" {
		body["field"] = e.field
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// call is one API request.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	caller catalog.Caller
}

// id parses a path id.
func (c *call) id(name string) (int64, error) {
	v := c.r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &apiError{status: 404, code: "not_found", msg: fmt.Sprintf("no %s %q", name, v)}
	}
	return n, nil
}

// decode reads a JSON body into v, refusing unknown fields.
func (c *call) decode(v any) error {
	dec := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return badRequest("", "the request body is empty; want a JSON object")
		case errors.As(err, &se):
			return badRequest("", "the request body is not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return badRequest(te.Field, "want %s, got a JSON %s", te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest(f, "unknown field %q", f)
		}
		return badRequest("", "cannot read the request body: %v", err)
	}
	return nil
}

// tenant returns the caller's tenant id, refusing the admin token on
// tenant-scoped endpoints.
func (c *call) tenant() (int64, error) {
	if c.caller.TenantID == 0 {
		return 0, &apiError{status: 403, code: "permission_denied", msg: "this endpoint needs a tenant's token, not the admin token"}
	}
	return c.caller.TenantID, nil
}

// replyWriter notes the status a handler has sent, if it has begun its
// reply.
type replyWriter struct {
	http.ResponseWriter
	status int // 0 until the header is written
}

func (w *replyWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *replyWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *replyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap authenticates, runs the handler and renders its error.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(hw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &replyWriter{ResponseWriter: hw}
		c := &call{w: w, r: r}
		err := func() error {
			if rt.Auth != authNone {
				caller, err := s.authenticate(r)
				if err != nil {
					return err
				}
				if rt.Auth == authAdmin && !caller.Admin {
					return &apiError{status: 403, code: "permission_denied", msg: "this endpoint needs the admin token"}
				}
				c.caller = caller
			}
			return rt.handler(s, c)
		}()
		if err != nil && w.status != 0 {
			// The reply has begun (a streamed export, say): its status
			// and part of its body may be on their way, so the error can
			// no longer be told in it. Written into the body it would
			// pass for data; the response is aborted instead, and the
			// client sees the stream break.
			level := slog.LevelError
			if r.Context().Err() != nil {
				level = slog.LevelWarn // the client went away
			}
			s.log.Log(r.Context(), level, "api error after the reply began; aborting it",
				"method", r.Method, "path", r.URL.Path, "status", w.status, "error", err)
			s.logRequest(rt, c, w.status, start)
			panic(http.ErrAbortHandler)
		}
		status := w.status
		if err != nil {
			e := toAPIError(err)
			status = e.status
			if e.status >= 500 {
				s.log.Error("api error", "method", r.Method, "path", r.URL.Path, "error", err)
			}
			writeError(w, r, e)
		}
		s.logRequest(rt, c, cmp.Or(status, 200), start)
	})
}

func (s *Server) logRequest(rt route, c *call, status int, start time.Time) {
	s.log.Info("api request", "method", c.r.Method, "route", rt.Pattern, "status", status,
		"tenant_id", c.caller.TenantID, "duration_ms", float64(time.Since(start).Microseconds())/1000)
}

func (s *Server) authenticate(r *http.Request) (catalog.Caller, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return catalog.Caller{}, &apiError{status: 401, code: "unauthenticated", msg: "missing bearer token (Authorization: Bearer TOKEN)"}
	}
	caller, err := s.cfg.Catalog.Resolve(r.Context(), strings.TrimSpace(secret))
	if err != nil {
		if errors.Is(err, catalog.ErrUnauthorized) {
			return catalog.Caller{}, &apiError{status: 401, code: "unauthenticated", msg: "unknown or revoked token"}
		}
		return catalog.Caller{}, err
	}
	return caller, nil
}
