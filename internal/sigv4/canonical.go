package sigv4

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// unreserved reports the bytes UriEncode leaves alone: A-Z a-z 0-9 - . _ ~.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendEscaped appends c as AWS UriEncode writes it.
func appendEscaped(dst []byte, c byte, keepSlash bool) []byte {
	if unreserved(c) || keepSlash && c == '/' {
		return append(dst, c)
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

// AppendURIEncode appends s encoded with AWS's UriEncode: every byte but
// the unreserved A-Za-z0-9-._~ (and '/' when keepSlash) becomes %XX with
// upper-case hex.
func AppendURIEncode(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		dst = appendEscaped(dst, s[i], keepSlash)
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeAt returns the byte s[i] stands for and the width it takes: a valid
// %XX escape is decoded, anything else (including '+' and a stray '%') is
// itself.
func decodeAt(s string, i int) (byte, int) {
	if s[i] == '%' && i+2 < len(s) {
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if ok1 && ok2 {
			return hi<<4 | lo, 3
		}
	}
	return s[i], 1
}

// appendRecoded appends s percent-decoded once and then UriEncoded: the
// canonical form of a path or query component whatever escaping the client
// put on the wire.
func appendRecoded(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); {
		c, n := decodeAt(s, i)
		dst = appendEscaped(dst, c, keepSlash)
		i += n
	}
	return dst
}

// decodeComponent percent-decodes s once; '+' stays '+'. Invalid escapes
// are kept literally.
func decodeComponent(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c, n := decodeAt(s, i)
		b = append(b, c)
		i += n
	}
	return string(b)
}

// requestTarget returns the path and query exactly as the client sent
// them: from RequestURI for server requests, from the URL otherwise.
func requestTarget(r *http.Request) (path, query string) {
	uri := r.RequestURI
	if uri == "" || uri == "*" {
		return r.URL.EscapedPath(), r.URL.RawQuery
	}
	if uri[0] != '/' {
		// Absolute form (through a proxy): drop scheme and authority.
		if i := strings.Index(uri, "://"); i >= 0 {
			uri = uri[i+3:]
			if j := strings.IndexAny(uri, "/?"); j >= 0 {
				uri = uri[j:]
			} else {
				uri = ""
			}
		}
	}
	path, query, _ = strings.Cut(uri, "?")
	if path == "" {
		path = "/"
	}
	return path, query
}

// appendCanonicalURI appends the canonical URI of a raw (escaped) path.
//
// S3 keeps the path as is (no dot-segment removal, '//' significant) and
// encodes it once: the raw path is decoded once and re-encoded, which gives
// back what every SDK signs whatever escaping it used on the wire. Other
// services (STS, IAM) normalise the path and encode it twice, that is, the
// escaped path is encoded again.
func appendCanonicalURI(dst []byte, rawPath string, s3 bool) []byte {
	if s3 {
		return appendRecoded(dst, rawPath, true)
	}
	return AppendURIEncode(dst, normalizePath(rawPath), true)
}

// normalizePath removes empty, "." and ".." segments per RFC 3986, keeping
// a trailing slash.
func normalizePath(p string) string {
	if p == "/" || p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	out := segs[:0]
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	n := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") && n != "/" {
		n += "/"
	}
	return n
}

// queryPair locates one encoded name=value pair inside a scratch buffer.
type queryPair struct {
	name, value [2]int32
}

// appendCanonicalQuery appends the canonical query string of a raw query:
// every parameter (except X-Amz-Signature when skipSignature), name and
// value decoded once and UriEncoded, sorted by name then value; a
// parameter without '=' canonicalises as "name=". scratch and pairs are
// reusable buffers, returned for the next call.
func appendCanonicalQuery(dst []byte, raw string, skipSignature bool,
	scratch []byte, pairs []queryPair) ([]byte, []byte, []queryPair) {
	scratch = scratch[:0]
	pairs = pairs[:0]
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		if skipSignature && decodeComponent(name) == "X-Amz-Signature" {
			continue
		}
		var p queryPair
		p.name[0] = int32(len(scratch))
		scratch = appendRecoded(scratch, name, false)
		p.name[1] = int32(len(scratch))
		p.value[0] = p.name[1]
		scratch = appendRecoded(scratch, value, false)
		p.value[1] = int32(len(scratch))
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := bytes.Compare(scratch[a.name[0]:a.name[1]], scratch[b.name[0]:b.name[1]]); c != 0 {
			return c
		}
		return bytes.Compare(scratch[a.value[0]:a.value[1]], scratch[b.value[0]:b.value[1]])
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, scratch[p.name[0]:p.name[1]]...)
		dst = append(dst, '=')
		dst = append(dst, scratch[p.value[0]:p.value[1]]...)
	}
	return dst, scratch, pairs
}

// headerValues returns the values of the header with the lower-case name,
// without allocating: the name is put in canonical MIME form in a stack
// buffer (map lookups with string(bytes) keys do not allocate).
func headerValues(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) <= len(buf) {
		b := buf[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(b)]; ok {
			return v
		}
	}
	// Keys that net/http could not canonicalise are stored as sent.
	return h[name]
}

// appendHeaderValue appends v trimmed, with runs of spaces collapsed to one.
func appendHeaderValue(dst []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			space = true
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// appendCanonicalHeaders appends "name:value\n" for each signed header.
// Go's server keeps some headers apart from r.Header: Host is r.Host,
// Transfer-Encoding is r.TransferEncoding, and Content-Length may have
// been dropped (then r.ContentLength stands for it).
func appendCanonicalHeaders(dst []byte, r *http.Request, names []string) []byte {
	for _, name := range names {
		dst = append(dst, name...)
		dst = append(dst, ':')
		values := headerValues(r.Header, name)
		switch {
		case name == "host":
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			values = []string{host}
		case name == "transfer-encoding" && len(r.TransferEncoding) > 0:
			values = []string{strings.Join(r.TransferEncoding, ",")}
		case name == "content-length" && len(values) == 0 && r.ContentLength >= 0:
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		for i, v := range values {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeaderValue(dst, v)
		}
		dst = append(dst, '\n')
	}
	return dst
}
