// Package e2e drives a real inlet server with real S3 clients: the AWS CLI
// (v2 and v1), rclone, s3cmd, boto3, the AWS SDK for JavaScript v3 and the
// AWS SDK for Go v2. The tests carry the build tag e2e:
//
//	go test -tags e2e -count=1 ./e2e/...
//
// INLET_E2E_BINARY names a prebuilt server binary to test instead of
// building ./cmd/inlet.
package e2e
