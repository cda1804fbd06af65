package sigv4

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// algorithm is the only SigV4 signing algorithm accepted.
const algorithm = "AWS4-HMAC-SHA256"

// maxSignedHeaders bounds the SignedHeaders list; real clients sign a few
// dozen at most.
const maxSignedHeaders = 128

// credential is a parsed X-Amz-Credential / Credential= value:
// AKID/YYYYMMDD/REGION/SERVICE/aws4_request.
type credential struct {
	accessKeyID string
	scope       string // YYYYMMDD/REGION/SERVICE/aws4_request
	day         string
	region      string
	service     string
}

const credentialShape = `the Credential is mal-formed; expecting ` +
	`"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`

// shorten cuts a client-supplied value down for an error message.
func shorten(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// quoted returns s shortened and in double quotes, for an error message.
func quoted(s string) string { return strconv.Quote(shorten(s)) }

// parseCredential parses a credential; on failure it returns the problem
// in AWS's wording, to follow "The authorization header is malformed; " or
// "Error parsing the X-Amz-Credential parameter; ".
func parseCredential(s string) (credential, string) {
	// Split from the right: the last four fields cannot hold '/'.
	var f [4]string
	rest := s
	for i := 3; i >= 0; i-- {
		j := strings.LastIndexByte(rest, '/')
		if j < 0 {
			return credential{}, credentialShape
		}
		f[i], rest = rest[j+1:], rest[:j]
	}
	c := credential{accessKeyID: rest, day: f[0], region: f[1], service: f[2]}
	switch {
	case c.accessKeyID == "" || c.region == "":
		return credential{}, credentialShape
	case f[3] != "aws4_request":
		return credential{}, "incorrect terminal " + quoted(f[3]) +
			`. This endpoint uses "aws4_request".`
	case !isDay(c.day):
		return credential{}, "incorrect date format " + quoted(c.day) +
			`. This date in the credential must be in the format "yyyyMMdd".`
	}
	switch c.service {
	case "s3", "sts", "iam":
	default:
		return credential{}, "incorrect service " + quoted(c.service) +
			`. This endpoint belongs to "s3", "sts" or "iam".`
	}
	c.scope = s[len(rest)+1:]
	return c, ""
}

func isDay(s string) bool {
	if len(s) != 8 {
		return false
	}
	_, ok := parseDigits(s)
	return ok
}

func parseDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseAmzDate parses the ISO 8601 basic form "20060102T150405Z" without
// the cost of time.Parse.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	year, ok1 := parseDigits(s[0:4])
	month, ok2 := parseDigits(s[4:6])
	day, ok3 := parseDigits(s[6:8])
	hour, ok4 := parseDigits(s[9:11])
	minute, ok5 := parseDigits(s[11:13])
	sec, ok6 := parseDigits(s[13:15])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // 20130231 is not a date
		return time.Time{}, false
	}
	return t, true
}

// parseSignature decodes a 64-digit hex signature.
func parseSignature(s string) ([32]byte, bool) {
	var sig [32]byte
	if len(s) != 64 {
		return sig, false
	}
	_, err := hex.Decode(sig[:], []byte(s))
	return sig, err == nil
}

// parseSignedHeaders splits a SignedHeaders list into lower-case names.
func parseSignedHeaders(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	n := strings.Count(s, ";") + 1
	if n > maxSignedHeaders {
		return nil, false
	}
	names := make([]string, 0, n)
	for name := range strings.SplitSeq(s, ";") {
		if !headerName(name) {
			return nil, false
		}
		names = append(names, lower(name))
	}
	return names, true
}

// headerName reports whether s can be a header field name: a non-empty
// token without spaces, colons or control bytes.
func headerName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == ':' || c >= 0x7f {
			return false
		}
	}
	return true
}

// lower is strings.ToLower for ASCII without allocating when s is already
// lower case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// authorization is a parsed "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." header.
type authorization struct {
	cred          credential
	signedHeaders string   // as sent: it is a line of the canonical request
	names         []string // lower-case
	signature     [32]byte
}

// parseAuthorization parses an Authorization header value. Other schemes
// get their own errors: SigV2 ("AWS AKID:sig") an InvalidRequest telling to
// use SigV4, SigV4a and anything else an unsupported-type error.
func parseAuthorization(v string) (authorization, *Error) {
	var a authorization
	rest, ok := strings.CutPrefix(v, algorithm)
	if !ok || rest == "" || rest[0] != ' ' {
		switch {
		case strings.HasPrefix(v, "AWS "):
			return a, sigV2Error()
		case strings.HasPrefix(v, "AWS4-ECDSA-P256-SHA256"):
			return a, invalidRequest("Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not " +
				"supported; sign requests with AWS4-HMAC-SHA256.")
		case strings.HasPrefix(v, "AWS4-"):
			return a, headerMalformed(`the authorization algorithm must be "AWS4-HMAC-SHA256".`)
		}
		e := invalidArgument("Unsupported Authorization Type")
		e.Extra = [][2]string{{"ArgumentName", "Authorization"}}
		return a, e
	}

	var credStr, sigStr string
	var haveCred, haveHeaders, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " \t")
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return a, headerMalformed("the authorization component " + quoted(part) + " is malformed.")
		}
		var seen *bool
		switch name {
		case "Credential":
			credStr, seen = value, &haveCred
		case "SignedHeaders":
			a.signedHeaders, seen = value, &haveHeaders
		case "Signature":
			sigStr, seen = value, &haveSig
		default:
			return a, headerMalformed("the authorization component " + quoted(name) + " is not known.")
		}
		if *seen {
			return a, headerMalformed("the authorization component " + quoted(name) + " is repeated.")
		}
		*seen = true
	}
	if !haveCred || !haveHeaders || !haveSig {
		return a, headerMalformed("it must contain Credential, SignedHeaders and Signature.")
	}

	cred, problem := parseCredential(credStr)
	if problem != "" {
		return a, headerMalformed(problem)
	}
	a.cred = cred
	if a.names, ok = parseSignedHeaders(a.signedHeaders); !ok {
		return a, headerMalformed("the SignedHeaders list " + quoted(a.signedHeaders) + " is malformed.")
	}
	if a.signature, ok = parseSignature(sigStr); !ok {
		// The value itself is not echoed: it is the client's signature.
		return a, headerMalformed("the Signature must be 64 hexadecimal digits.")
	}
	return a, nil
}

// presignParams holds the decoded authentication parameters of a presigned
// query.
type presignParams struct {
	algorithm, credential, date, expires, signedHeaders, signature string
	securityToken, contentSHA256                                   string
}

// isPresignParam reports whether a decoded query name starts a SigV4 query
// authentication attempt.
func isPresignParam(name string) bool {
	return name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Signature"
}

// isSigV2Param reports whether a decoded query name belongs to SigV2 query
// authentication.
func isSigV2Param(name string) bool {
	return name == "AWSAccessKeyId" || name == "Signature"
}

// scanQueryAuth reports whether the raw query carries SigV4 or SigV2 query
// authentication parameters.
func scanQueryAuth(raw string) (v4, v2 bool) {
	for part := range strings.SplitSeq(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		if name == "" || name[0] != 'X' && name[0] != 'A' && name[0] != 'S' && name[0] != '%' {
			continue
		}
		name = decodeComponent(name)
		v4 = v4 || isPresignParam(name)
		v2 = v2 || isSigV2Param(name)
	}
	return v4, v2
}

// parsePresignedQuery collects the X-Amz-* authentication parameters of a
// raw query. It checks presence and repetition only; values are checked by
// the caller.
func parsePresignedQuery(raw string) (presignParams, *Error) {
	var p presignParams
	var seen uint
	for part := range strings.SplitSeq(raw, "&") {
		name, value, _ := strings.Cut(part, "=")
		name = decodeComponent(name)
		if !strings.HasPrefix(name, "X-Amz-") {
			continue
		}
		var dst *string
		var bit uint
		switch name {
		case "X-Amz-Algorithm":
			dst, bit = &p.algorithm, 1
		case "X-Amz-Credential":
			dst, bit = &p.credential, 2
		case "X-Amz-Date":
			dst, bit = &p.date, 4
		case "X-Amz-Expires":
			dst, bit = &p.expires, 8
		case "X-Amz-SignedHeaders":
			dst, bit = &p.signedHeaders, 16
		case "X-Amz-Signature":
			dst, bit = &p.signature, 32
		case "X-Amz-Security-Token":
			dst, bit = &p.securityToken, 64
		case "X-Amz-Content-Sha256", "X-Amz-Content-SHA256":
			dst, bit = &p.contentSHA256, 128
		default:
			continue
		}
		if seen&bit != 0 {
			return p, queryMalformed(name + " must appear only once.")
		}
		seen |= bit
		*dst = decodeComponent(value)
	}
	if p.algorithm == "" || p.credential == "" || p.date == "" || p.expires == "" ||
		p.signedHeaders == "" || p.signature == "" {
		return p, queryMalformed(msgMissingQueryParams)
	}
	return p, nil
}

// parseExpires checks X-Amz-Expires: whole seconds from 1 to 604800.
func parseExpires(s string) (int64, *Error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, expiresInvalid("X-Amz-Expires should be a number")
	case n < 0:
		return 0, expiresInvalid("X-Amz-Expires must be non-negative")
	case n == 0:
		return 0, expiresInvalid("X-Amz-Expires must be greater than 0")
	case n > maxExpires:
		return 0, expiresInvalid("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	return n, nil
}

// maxExpires is the longest presigned URL lifetime, a week.
const maxExpires = 604800
