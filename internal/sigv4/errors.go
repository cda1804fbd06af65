package sigv4

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The AWS error codes Verify and Auth.Body return.
const (
	CodeAccessDenied                 = "AccessDenied"
	CodeAuthorizationHeaderMalformed = "AuthorizationHeaderMalformed"
	CodeAuthorizationQueryParameters = "AuthorizationQueryParametersError"
	CodeIncompleteBody               = "IncompleteBody"
	CodeInvalidAccessKeyID           = "InvalidAccessKeyId"
	CodeInvalidArgument              = "InvalidArgument"
	CodeInvalidRequest               = "InvalidRequest"
	CodeMalformedTrailer             = "MalformedTrailerError"
	CodeRequestEntityTooLarge        = "RequestEntityTooLarge"
	CodeRequestTimeTooSkewed         = "RequestTimeTooSkewed"
	CodeSignatureDoesNotMatch        = "SignatureDoesNotMatch"
	CodeContentSHA256Mismatch        = "XAmzContentSHA256Mismatch"
)

// Messages that are AWS wire text (AWS capitalization kept).
const (
	msgSignatureDoesNotMatch = "The request signature we calculated does not match the " +
		"signature you provided. Check your key and signing method."
	msgInvalidAccessKeyID = "The AWS Access Key Id you provided does not exist in our records."
	msgSigV2              = "The authorization mechanism you have provided is not supported. " +
		"Please use AWS4-HMAC-SHA256. Signature Version 2 is not supported; sign requests " +
		`with AWS Signature Version 4 (boto3: Config(signature_version="s3v4")).`
	msgMissingQueryParams = "Query-string authentication version 4 requires the " +
		"X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, " +
		"X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgMalformedTrailer = "The request contained trailing data that was not well-formed " +
		"or did not conform to our published schema."
	msgIncompleteBody = "The request body terminated unexpectedly"
)

// amzTimeFormat is the ISO 8601 basic format of x-amz-date.
const amzTimeFormat = "20060102T150405Z"

func newError(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// headerMalformed is a 400 AuthorizationHeaderMalformed; detail follows
// AWS's "The authorization header is malformed; ..." prefix.
func headerMalformed(detail string) *Error {
	return newError(CodeAuthorizationHeaderMalformed, http.StatusBadRequest,
		"The authorization header is malformed; "+detail)
}

// queryMalformed is a 400 AuthorizationQueryParametersError.
func queryMalformed(msg string) *Error {
	return newError(CodeAuthorizationQueryParameters, http.StatusBadRequest, msg)
}

// expiresInvalid is the error for a bad X-Amz-Expires. AWS answers these
// with 403, unlike the other AuthorizationQueryParametersError cases.
func expiresInvalid(msg string) *Error {
	return newError(CodeAuthorizationQueryParameters, http.StatusForbidden, msg)
}

func accessDenied(msg string) *Error {
	return newError(CodeAccessDenied, http.StatusForbidden, msg)
}

func invalidRequest(msg string) *Error {
	return newError(CodeInvalidRequest, http.StatusBadRequest, msg)
}

func invalidArgument(msg string) *Error {
	return newError(CodeInvalidArgument, http.StatusBadRequest, msg)
}

func sigV2Error() *Error { return invalidRequest(msgSigV2) }

func unknownKeyError(accessKeyID string) *Error {
	e := newError(CodeInvalidAccessKeyID, http.StatusForbidden, msgInvalidAccessKeyID)
	e.Extra = [][2]string{{"AWSAccessKeyId", accessKeyID}}
	return e
}

// signatureMismatch carries the string to sign and canonical request as AWS
// does, so a client can compare them with its own; the signature provided
// and any session token are left out.
func signatureMismatch(accessKeyID, stringToSign, canonicalRequest string) *Error {
	e := newError(CodeSignatureDoesNotMatch, http.StatusForbidden, msgSignatureDoesNotMatch)
	e.Extra = [][2]string{
		{"AWSAccessKeyId", accessKeyID},
		{"StringToSign", stringToSign},
		{"CanonicalRequest", canonicalRequest},
	}
	return e
}

func chunkSignatureMismatch() *Error {
	return newError(CodeSignatureDoesNotMatch, http.StatusForbidden, msgSignatureDoesNotMatch)
}

func skewError(requestTime string, now time.Time, maxSkew time.Duration) *Error {
	e := newError(CodeRequestTimeTooSkewed, http.StatusForbidden,
		"The difference between the request time and the current time is too large.")
	e.Extra = [][2]string{
		{"RequestTime", requestTime},
		{"ServerTime", now.UTC().Format(time.RFC3339)},
		{"MaxAllowedSkewMilliseconds", strconv.FormatInt(maxSkew.Milliseconds(), 10)},
	}
	return e
}

func expiredError(expires int64, date, now time.Time) *Error {
	e := accessDenied("Request has expired")
	e.Extra = [][2]string{
		{"X-Amz-Expires", strconv.FormatInt(expires, 10)},
		{"Expires", date.Add(time.Duration(expires) * time.Second).UTC().Format(time.RFC3339)},
		{"ServerTime", now.UTC().Format(time.RFC3339)},
	}
	return e
}

func notYetValidError(date, now time.Time) *Error {
	e := accessDenied("Request is not valid yet")
	e.Extra = [][2]string{
		{"X-Amz-Date", date.UTC().Format(amzTimeFormat)},
		{"ServerTime", now.UTC().Format(time.RFC3339)},
	}
	return e
}

func unsignedHeadersError(names []string) *Error {
	sort.Strings(names)
	e := accessDenied("There were headers present in the request which were not signed")
	e.Extra = [][2]string{{"HeadersNotSigned", strings.Join(names, ", ")}}
	return e
}

func payloadMismatch(client, computed string) *Error {
	e := newError(CodeContentSHA256Mismatch, http.StatusBadRequest,
		"The provided 'x-amz-content-sha256' header does not match what was computed.")
	e.Extra = [][2]string{
		{"ClientComputedContentSHA256", client},
		{"S3ComputedContentSHA256", computed},
	}
	return e
}

func incompleteBody() *Error {
	return newError(CodeIncompleteBody, http.StatusBadRequest, msgIncompleteBody)
}

// chunkedMalformed reports aws-chunked framing that cannot be decoded.
func chunkedMalformed(detail string) *Error {
	return invalidRequest("The aws-chunked request body is malformed: " + detail)
}

func malformedTrailer() *Error {
	return newError(CodeMalformedTrailer, http.StatusBadRequest, msgMalformedTrailer)
}
