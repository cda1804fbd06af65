// Package awsquery holds what the cloud's query-protocol fronts (STS and
// IAM) share: reading the form, authenticating the caller, and writing XML
// replies and error envelopes.
package awsquery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"inlet/internal/identity"
	"inlet/internal/sigv4"
)

// Error is a query-protocol error: code, HTTP status, message, and whether
// the sender (rather than the receiver) is at fault.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an Error.
func Errorf(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// Authenticator resolves the principal of a verified access key.
type Authenticator interface {
	Authenticate(ctx context.Context, accessKeyID, token string) (identity.Principal, error)
}

// Call is one authenticated query-protocol request.
type Call struct {
	R         *http.Request
	Form      url.Values
	Action    string
	Principal identity.Principal
	RequestID string
	Secure    bool
}

// Front carries what every query front needs.
type Front struct {
	Verifier  *sigv4.Verifier
	Auth      Authenticator
	Log       *slog.Logger
	Namespace string // e.g. https://sts.amazonaws.com/doc/2011-06-15/
}

// Begin authenticates r and parses its form (body and query string).
func (f *Front) Begin(r *http.Request) (*Call, error) {
	c := &Call{R: r, RequestID: newRequestID(), Secure: r.TLS != nil}
	a, err := f.Verifier.Verify(r)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return c, &Error{Code: se.Code, Status: se.Status, Message: se.Message}
		}
		return c, err
	}
	if a == nil {
		return c, Errorf("MissingAuthenticationToken", 403, "Request is missing Authentication Token")
	}
	body, err := io.ReadAll(io.LimitReader(a.Body, 1<<20+1))
	if err != nil {
		return c, err
	}
	if len(body) > 1<<20 {
		return c, Errorf("ValidationError", 400, "Request body exceeds 1 MiB")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return c, Errorf("MalformedQueryString", 400, "The form body is malformed")
	}
	for k, v := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	c.Form, c.Action = form, form.Get("Action")
	p, err := f.Auth.Authenticate(r.Context(), a.AccessKeyID, a.SessionToken)
	switch {
	case errors.Is(err, identity.ErrExpiredToken):
		return c, Errorf("ExpiredToken", 400, "The security token included in the request is expired")
	case errors.Is(err, identity.ErrInvalidToken):
		return c, Errorf("InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	case errors.Is(err, sigv4.ErrUnknownKey):
		return c, Errorf("InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	case err != nil:
		return c, err
	}
	c.Principal = p
	return c, nil
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// WriteResult writes <ActionResponse><ActionResult>v</ActionResult>
// <ResponseMetadata>…</ResponseMetadata></ActionResponse>.
func (f *Front) WriteResult(w http.ResponseWriter, c *Call, v any) {
	type metadata struct {
		RequestID string `xml:"RequestId"`
	}
	type envelope struct {
		XMLName  xml.Name
		Xmlns    string   `xml:"xmlns,attr"`
		Result   any      `xml:",omitempty"`
		Metadata metadata `xml:"ResponseMetadata"`
	}
	env := envelope{XMLName: xml.Name{Local: c.Action + "Response"}, Xmlns: f.Namespace, Metadata: metadata{c.RequestID}}
	if v != nil {
		env.Result = resultWrapper{name: c.Action + "Result", v: v}
	}
	body, err := xml.Marshal(env)
	if err != nil {
		f.WriteError(w, c, fmt.Errorf("encode reply: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", c.RequestID)
	w.WriteHeader(200)
	w.Write(body)
}

type resultWrapper struct {
	name string
	v    any
}

func (r resultWrapper) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(r.v, xml.StartElement{Name: xml.Name{Local: r.name}})
}

// WriteError writes the query-protocol error envelope. Unknown errors are
// logged and become InternalFailure.
func (f *Front) WriteError(w http.ResponseWriter, c *Call, err error) {
	var e *Error
	if !errors.As(err, &e) {
		f.Log.Error("internal error", "request_id", c.RequestID, "action", c.Action, "error", err)
		e = &Error{Code: "InternalFailure", Status: 500, Message: "The request processing has failed because of an unknown error."}
	}
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	type errElem struct {
		Type    string
		Code    string
		Message string
	}
	type envelope struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errElem
		RequestID string `xml:"RequestId"`
	}
	body, _ := xml.Marshal(envelope{Xmlns: f.Namespace, Error: errElem{typ, e.Code, e.Message}, RequestID: c.RequestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", c.RequestID)
	w.WriteHeader(e.Status)
	w.Write(body)
}

// Serve authenticates r, runs the call with run, and writes its result or
// its error; then it logs the call.
func (f *Front) Serve(w http.ResponseWriter, r *http.Request, run func(*Call) (any, error)) {
	start := time.Now()
	sw := &StatusWriter{ResponseWriter: w, Status: 200}
	c, err := f.Begin(r)
	if err == nil {
		var res any
		if res, err = run(c); err == nil {
			f.WriteResult(sw, c, res)
		}
	}
	if err != nil {
		f.WriteError(sw, c, err)
	}
	f.LogCall(c, sw.Status, start)
}

// LogCall writes the access-log line of a call.
func (f *Front) LogCall(c *Call, status int, start time.Time) {
	attrs := []slog.Attr{
		slog.String("request_id", c.RequestID),
		slog.String("op", c.Action),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if c.Principal.ARN != "" {
		attrs = append(attrs, slog.String("principal", c.Principal.ARN), slog.String("access_key_id", c.Principal.AccessKeyID))
	}
	f.Log.LogAttrs(c.R.Context(), slog.LevelInfo, "request", attrs...)
}

// StatusWriter records the status of a reply.
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

// WriteHeader implements http.ResponseWriter.
func (w *StatusWriter) WriteHeader(code int) {
	w.Status = code
	w.ResponseWriter.WriteHeader(code)
}

// Signed reports whether r is a form POST signed for service (sts, iam),
// the requests the query fronts take on the cloud's port.
func Signed(r *http.Request, service string) bool {
	if r.URL.Path != "/" {
		return false
	}
	scope := "/" + service + "/aws4_request"
	if strings.Contains(r.Header.Get("Authorization"), scope) {
		return true
	}
	return strings.Contains(r.URL.Query().Get("X-Amz-Credential"), scope)
}
