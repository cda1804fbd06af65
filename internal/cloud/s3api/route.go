package s3api

import (
	"net/http"
	"net/url"
)

// level says what a request addresses.
type level int

const (
	service level = iota // "/"
	bucketLevel
	objectLevel
)

// A routeEntry matches method, level and a subresource (a query parameter
// that must be present; "" matches when none of the entries' subresources
// are). Header, if set, must be present too. The first match wins.
type routeEntry struct {
	method string
	level  level
	sub    string
	header string
	op     string
	h      handlerFunc
}

// routes is the S3 route table. Order matters only among entries with the
// same method and level: more specific (subresource, header) first.
var routes = []routeEntry{
	{"GET", service, "", "", "ListBuckets", (*Server).listBuckets},

	{"PUT", bucketLevel, "policy", "", "PutBucketPolicy", (*Server).putBucketPolicy},
	{"PUT", bucketLevel, "tagging", "", "PutBucketTagging", (*Server).putBucketTagging},
	{"PUT", bucketLevel, "ownershipControls", "", "PutBucketOwnershipControls", (*Server).putOwnershipControls},
	{"PUT", bucketLevel, "publicAccessBlock", "", "PutPublicAccessBlock", (*Server).putPublicAccessBlock},
	{"PUT", bucketLevel, "acl", "", "PutBucketAcl", notImplemented},
	{"PUT", bucketLevel, "versioning", "", "PutBucketVersioning", notImplemented},
	{"PUT", bucketLevel, "", "", "CreateBucket", (*Server).createBucket},
	{"HEAD", bucketLevel, "", "", "HeadBucket", (*Server).headBucket},
	{"DELETE", bucketLevel, "policy", "", "DeleteBucketPolicy", (*Server).deleteBucketPolicy},
	{"DELETE", bucketLevel, "tagging", "", "DeleteBucketTagging", (*Server).deleteBucketTagging},
	{"DELETE", bucketLevel, "ownershipControls", "", "DeleteBucketOwnershipControls", (*Server).deleteOwnershipControls},
	{"DELETE", bucketLevel, "publicAccessBlock", "", "DeletePublicAccessBlock", (*Server).deletePublicAccessBlock},
	{"DELETE", bucketLevel, "", "", "DeleteBucket", (*Server).deleteBucket},
	{"GET", bucketLevel, "location", "", "GetBucketLocation", (*Server).getBucketLocation},
	{"GET", bucketLevel, "versioning", "", "GetBucketVersioning", (*Server).getBucketVersioning},
	{"GET", bucketLevel, "acl", "", "GetBucketAcl", (*Server).getBucketACL},
	{"GET", bucketLevel, "policy", "", "GetBucketPolicy", (*Server).getBucketPolicy},
	{"GET", bucketLevel, "ownershipControls", "", "GetBucketOwnershipControls", (*Server).getOwnershipControls},
	{"GET", bucketLevel, "publicAccessBlock", "", "GetPublicAccessBlock", (*Server).getPublicAccessBlock},
	{"GET", bucketLevel, "cors", "", "GetBucketCors", answerCode("NoSuchCORSConfiguration")},
	{"GET", bucketLevel, "lifecycle", "", "GetBucketLifecycle", answerCode("NoSuchLifecycleConfiguration")},
	{"GET", bucketLevel, "website", "", "GetBucketWebsite", answerCode("NoSuchWebsiteConfiguration")},
	{"GET", bucketLevel, "encryption", "", "GetBucketEncryption", answerCode("ServerSideEncryptionConfigurationNotFoundError")},
	{"GET", bucketLevel, "tagging", "", "GetBucketTagging", (*Server).getBucketTagging},
	{"GET", bucketLevel, "uploads", "", "ListMultipartUploads", (*Server).listUploads},
	{"GET", bucketLevel, "versions", "", "ListObjectVersions", (*Server).listObjectVersions},
	{"GET", bucketLevel, "list-type", "", "ListObjectsV2", (*Server).listObjectsV2},
	{"GET", bucketLevel, "", "", "ListObjects", (*Server).listObjects},
	{"POST", bucketLevel, "delete", "", "DeleteObjects", (*Server).deleteObjects},

	{"PUT", objectLevel, "tagging", "", "PutObjectTagging", (*Server).putObjectTagging},
	{"PUT", objectLevel, "acl", "", "PutObjectAcl", (*Server).putObjectACL},
	{"PUT", objectLevel, "uploadId", "x-amz-copy-source", "UploadPartCopy", (*Server).uploadPartCopy},
	{"PUT", objectLevel, "uploadId", "", "UploadPart", (*Server).uploadPart},
	{"PUT", objectLevel, "", "x-amz-copy-source", "CopyObject", (*Server).copyObject},
	{"PUT", objectLevel, "", "", "PutObject", (*Server).putObject},
	{"GET", objectLevel, "uploadId", "", "ListParts", (*Server).listParts},
	{"GET", objectLevel, "tagging", "", "GetObjectTagging", (*Server).getObjectTagging},
	{"GET", objectLevel, "acl", "", "GetObjectAcl", (*Server).getObjectACL},
	{"GET", objectLevel, "", "", "GetObject", (*Server).getObject},
	{"HEAD", objectLevel, "", "", "HeadObject", (*Server).headObject},
	{"DELETE", objectLevel, "uploadId", "", "AbortMultipartUpload", (*Server).abortUpload},
	{"DELETE", objectLevel, "tagging", "", "DeleteObjectTagging", (*Server).deleteObjectTagging},
	{"DELETE", objectLevel, "", "", "DeleteObject", (*Server).deleteObject},
	{"POST", objectLevel, "uploads", "", "CreateMultipartUpload", (*Server).createUpload},
	{"POST", objectLevel, "uploadId", "", "CompleteMultipartUpload", (*Server).completeUpload},
}

// unsupported lists subresources this front knows but does not implement,
// so that they answer NotImplemented rather than falling through to a
// plain object or bucket operation.
var unsupported = []string{
	"accelerate", "analytics", "cors", "encryption", "intelligent-tiering",
	"inventory", "lifecycle", "logging", "metrics", "notification",
	"object-lock", "legal-hold", "retention", "replication", "requestPayment",
	"restore", "select", "tagging", "website", "ownershipControls",
	"publicAccessBlock", "policyStatus", "attributes", "torrent", "versions",
	"uploads", "acl", "policy", "versioning", "location", "delete", "uploadId",
	"list-type",
}

func route(method, bucket, key string, query url.Values, h http.Header) (handlerFunc, string) {
	lv := service
	switch {
	case key != "":
		lv = objectLevel
	case bucket != "":
		lv = bucketLevel
	}
	for _, e := range routes {
		if e.method != method || e.level != lv {
			continue
		}
		if e.sub != "" && !query.Has(e.sub) {
			continue
		}
		if e.sub == "" && hasAny(query, unsupported) {
			continue
		}
		if e.header != "" && h.Get(e.header) == "" {
			continue
		}
		return e.h, e.op
	}
	return nil, "Unknown"
}

func hasAny(q url.Values, names []string) bool {
	if len(q) == 0 {
		return false
	}
	for _, n := range names {
		if q.Has(n) {
			return true
		}
	}
	return false
}

func notImplemented(*Server, *request) error { return newError("NotImplemented") }

// answerCode is a handler for configurations a bucket never has: after the
// bucket and access checks it answers the "does not exist" error.
func answerCode(code string) handlerFunc {
	return func(s *Server, q *request) error {
		if _, err := s.bucketFor(q); err != nil {
			return err
		}
		return newError(code)
	}
}
