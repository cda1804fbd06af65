package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"inlet/internal/objstore"
	"inlet/internal/sigv4"
)

// Error is an S3 error as it goes on the wire: a code from [errorTable], a
// message and optional extra elements. Messages are wire data and keep
// AWS's wording.
type Error struct {
	Code    string
	Message string
	Status  int // zero: from the table
	Extra   [][2]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorTable maps each S3 error code the front uses to its HTTP status and
// default message.
var errorTable = map[string]struct {
	status  int
	message string
}{
	"AccessDenied":                         {403, "Access Denied"},
	"AccessControlListNotSupported":        {400, "The bucket does not allow ACLs"},
	"AuthorizationHeaderMalformed":         {400, "The authorization header is malformed."},
	"AuthorizationQueryParametersError":    {400, "Error parsing the X-Amz-Credential parameter."},
	"BadRequest":                           {400, "Bad Request"},
	"BadDigest":                            {400, "The Content-MD5 you specified did not match what we received."},
	"BucketAlreadyExists":                  {409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."},
	"BucketAlreadyOwnedByYou":              {409, "Your previous request to create the named bucket succeeded and you already own it."},
	"BucketNotEmpty":                       {409, "The bucket you tried to delete is not empty"},
	"EntityTooLarge":                       {400, "Your proposed upload exceeds the maximum allowed size"},
	"EntityTooSmall":                       {400, "Your proposed upload is smaller than the minimum allowed object size."},
	"ExpiredToken":                         {400, "The provided token has expired."},
	"IllegalLocationConstraintException":   {400, "The location constraint is incompatible with the region of this endpoint."},
	"IncompleteBody":                       {400, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	"InternalError":                        {500, "We encountered an internal error. Please try again."},
	"InvalidAccessKeyId":                   {403, "The AWS Access Key Id you provided does not exist in our records."},
	"InvalidArgument":                      {400, "Invalid Argument"},
	"InvalidBucketName":                    {400, "The specified bucket is not valid."},
	"InvalidDigest":                        {400, "The Content-MD5 you specified is not valid."},
	"InvalidLocationConstraint":            {400, "The specified location constraint is not valid."},
	"InvalidPart":                          {400, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
	"InvalidPartOrder":                     {400, "The list of parts was not in ascending order. Parts must be ordered by part number."},
	"InvalidPartNumber":                    {416, "The requested partnumber is not satisfiable"},
	"InvalidRange":                         {416, "The requested range is not satisfiable"},
	"InvalidRedirectLocation":              {400, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."},
	"InvalidRequest":                       {400, "Invalid Request"},
	"InvalidStorageClass":                  {400, "The storage class you specified is not valid"},
	"InvalidTag":                           {400, "The tag provided was not a valid tag."},
	"InvalidToken":                         {400, "The provided token is malformed or otherwise invalid."},
	"KeyTooLongError":                      {400, "Your key is too long"},
	"MalformedACLError":                    {400, "The XML you provided was not well-formed or did not validate against our published schema."},
	"MalformedPolicy":                      {400, "Policies must be valid JSON and the first byte must be '{'"},
	"OwnershipControlsNotFoundError":       {404, "The bucket ownership controls were not found"},
	"NoSuchPublicAccessBlockConfiguration": {404, "The public access block configuration was not found"},
	"InvalidBucketAclWithObjectOwnership":  {400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"},
	"MalformedXML":                         {400, "The XML you provided was not well-formed or did not validate against our published schema"},
	"MalformedTrailerError":                {400, "The request contained trailing data that was not well-formed or did not conform to our published schema."},
	"MetadataTooLarge":                     {400, "Your metadata headers exceed the maximum allowed metadata size."},
	"MethodNotAllowed":                     {405, "The specified method is not allowed against this resource."},
	"MissingContentLength":                 {411, "You must provide the Content-Length HTTP header."},
	"MissingSecurityHeader":                {400, "Your request is missing a required header."},
	"NoSuchBucket":                         {404, "The specified bucket does not exist"},
	"NoSuchBucketPolicy":                   {404, "The bucket policy does not exist"},
	"NoSuchCORSConfiguration":              {404, "The CORS configuration does not exist"},
	"NoSuchKey":                            {404, "The specified key does not exist."},
	"NoSuchLifecycleConfiguration":         {404, "The lifecycle configuration does not exist"},
	"NoSuchTagSet":                         {404, "The TagSet does not exist"},
	"NoSuchUpload":                         {404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."},
	"NoSuchVersion":                        {404, "The specified version does not exist."},
	"NoSuchWebsiteConfiguration":           {404, "The specified bucket does not have a website configuration"},
	"NotImplemented":                       {501, "A header or query you provided implies functionality that is not implemented."},
	"NotModified":                          {304, "Not Modified"},
	"PolicyTooLarge":                       {400, "Policy exceeds the maximum allowed document size."},
	"PreconditionFailed":                   {412, "At least one of the pre-conditions you specified did not hold"},
	"RequestTimeTooSkewed":                 {403, "The difference between the request time and the server's time is too large."},
	"ServerSideEncryptionConfigurationNotFoundError": {404, "The server side encryption configuration was not found"},
	"SignatureDoesNotMatch":                          {403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	"XAmzContentSHA256Mismatch":                      {400, "The provided 'x-amz-content-sha256' header does not match what was computed."},
}

// errorf builds an Error with a formatted message.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// newError builds an Error with the table's message.
func newError(code string) *Error { return &Error{Code: code} }

func (e *Error) status() int {
	if e.Status != 0 {
		return e.Status
	}
	if t, ok := errorTable[e.Code]; ok {
		return t.status
	}
	return http.StatusInternalServerError
}

func (e *Error) message() string {
	if e.Message != "" {
		return e.Message
	}
	return errorTable[e.Code].message
}

// toWire converts any error into an S3 wire error. Domain sentinels map to
// their S3 codes; anything unknown becomes InternalError so that internals
// never reach a client.
func toWire(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &Error{Code: se.Code, Message: se.Message, Status: se.Status, Extra: se.Extra}
	}
	for _, m := range storeErrors {
		if errors.Is(err, m.err) {
			return newError(m.code)
		}
	}
	return newError("InternalError")
}

var storeErrors = []struct {
	err  error
	code string
}{
	{objstore.ErrNoSuchBucket, "NoSuchBucket"},
	{objstore.ErrBucketExists, "BucketAlreadyExists"},
	{objstore.ErrBucketOwnedByYou, "BucketAlreadyOwnedByYou"},
	{objstore.ErrBucketNotEmpty, "BucketNotEmpty"},
	{objstore.ErrNoSuchKey, "NoSuchKey"},
	{objstore.ErrNoSuchUpload, "NoSuchUpload"},
	{objstore.ErrInvalidPart, "InvalidPart"},
	{objstore.ErrInvalidPartChecksum, "InvalidPart"},
	{objstore.ErrInvalidPartOrder, "InvalidPartOrder"},
	{objstore.ErrEntityTooSmall, "EntityTooSmall"},
	{objstore.ErrPreconditionFailed, "PreconditionFailed"},
	{objstore.ErrIncompleteBody, "IncompleteBody"},
	{objstore.ErrBodyTooLong, "IncompleteBody"},
}

type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Extra     []extraElem
	Resource  string `xml:",omitempty"`
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

type extraElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func (e *Error) body(resource, requestID string) errorBody {
	b := errorBody{Code: e.Code, Message: e.message(), Resource: resource, RequestID: requestID, HostID: requestID}
	for _, x := range e.Extra {
		b.Extra = append(b.Extra, extraElem{XMLName: xml.Name{Local: x[0]}, Value: x[1]})
	}
	return b
}
