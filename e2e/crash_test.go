//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// crashSizes are the object sizes the uploaders cycle through; the ones at
// or above crashMultipart go through the multipart upload manager.
var crashSizes = []int{4 << 10, 64 << 10, 300 << 10, 1 << 20, 3 << 20, 6 << 20, 8 << 20}

const crashMultipart = 6 << 20

// TestCrashRecovery kills the server with SIGKILL while several clients
// upload, restarts it on the same data directory and checks that every
// acknowledged object reads back byte-identical and that every listed
// object is complete.
func TestCrashRecovery(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	const bucket = "crash"
	if _, err := s.goClient(t, "http").CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(bucket),
	}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	acked := map[string]string{} // key -> sha256 of what was acknowledged
	start := time.Now()
	for round := 1; round <= 3; round++ {
		n := crashRound(t, s, bucket, round, acked)
		t.Logf("round %d: %d acknowledged PUTs, %d in total", round, n, len(acked))
		if n == 0 {
			t.Fatalf("round %d: no upload was acknowledged before the kill", round)
		}
		s.restart()
		verifyAfterCrash(t, s, bucket, acked)
		if t.Failed() {
			return
		}
	}
	t.Logf("3 rounds in %v", time.Since(start).Round(time.Millisecond))
}

// crashRound runs four uploaders for two to three seconds, kills the server
// and returns how many PUTs were acknowledged in this round.
func crashRound(t *testing.T, s *server, bucket string, round int, acked map[string]string) int {
	var (
		mu      sync.Mutex
		n       int
		stopped atomic.Bool
		wg      sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Plain HTTP keeps this test about durability: the HTTPS upload path
	// (aws-chunked with trailers) has its own tests.
	const scheme = "http"
	for w := 0; w < 4; w++ {
		client := s.goClient(t, scheme)
		uploader := manager.NewUploader(client, func(u *manager.Uploader) {
			u.PartSize = 5 << 20
			u.Concurrency = 2
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopped.Load() && i < 1000; i++ {
				size := crashSizes[(i+w)%len(crashSizes)]
				key := fmt.Sprintf("r%d/w%d/%04d-%d", round, w, i, size)
				body := content(key, size)
				var err error
				if size >= crashMultipart {
					_, err = uploader.Upload(ctx, &s3.PutObjectInput{
						Bucket: aws.String(bucket), Key: aws.String(key),
						Body: bytes.NewReader(body),
					})
				} else {
					_, err = client.PutObject(ctx, &s3.PutObjectInput{
						Bucket: aws.String(bucket), Key: aws.String(key),
						Body: bytes.NewReader(body),
					})
				}
				if err != nil {
					if !stopped.Load() {
						t.Errorf("PUT %s over %s before the kill: %v", key, scheme, err)
					}
					return
				}
				mu.Lock()
				if !stopped.Load() {
					acked[key] = sha256Hex(body)
					n++
				}
				mu.Unlock()
			}
		}()
	}

	// Vary the moment of the kill a little between rounds (2 s, 2.5 s, 3 s).
	time.Sleep(time.Duration(1500+500*round) * time.Millisecond)
	// Mark the stop before the kill: an acknowledgement that arrives after
	// the mark is not counted, one counted before it was surely answered
	// by the live server.
	mu.Lock()
	stopped.Store(true)
	mu.Unlock()
	t.Logf("round %d: kill -9 server", round)
	s.kill()
	cancel()
	wg.Wait()
	return n
}

// verifyAfterCrash checks every acknowledged object and every listed one.
func verifyAfterCrash(t *testing.T, s *server, bucket string, acked map[string]string) {
	ctx := context.Background()
	client := s.goClient(t, "http")

	for key, want := range acked {
		got, err := getSHA(ctx, client, bucket, key)
		if err != nil {
			t.Errorf("acknowledged %s lost after restart: %v", key, err)
			continue
		}
		if got != want {
			t.Errorf("acknowledged %s: sha256 = %s; want %s", key, got, want)
		}
	}

	listed := 0
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 after restart: %v", err)
		}
		for _, o := range page.Contents {
			listed++
			key := aws.ToString(o.Key)
			size, err := strconv.Atoi(key[strings.LastIndex(key, "-")+1:])
			if err != nil {
				t.Errorf("listed key %q was never written", key)
				continue
			}
			if aws.ToInt64(o.Size) != int64(size) {
				t.Errorf("listed %s has size %d; want %d", key, aws.ToInt64(o.Size), size)
				continue
			}
			got, err := getSHA(ctx, client, bucket, key)
			if err != nil {
				t.Errorf("listed %s cannot be read: %v", key, err)
				continue
			}
			if want := sha256Hex(content(key, size)); got != want {
				t.Errorf("listed %s is not the complete object: sha256 = %s; want %s", key, got, want)
			}
		}
	}
	if listed < len(acked) {
		t.Errorf("listing shows %d objects; %d were acknowledged", listed, len(acked))
	}
	t.Logf("after restart: %d acknowledged objects verified, %d listed objects verified",
		len(acked), listed)
}

func getSHA(ctx context.Context, client *s3.Client, bucket, key string) (string, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
	})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return "", errors.Join(errors.New("read body"), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// goClient is an aws-sdk-go-v2 S3 client for the server's listener.
func (s *server) goClient(t *testing.T, scheme string) *s3.Client {
	t.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if scheme == "https" {
		transport.TLSClientConfig = s.tlsConfig()
	}
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(s.accessKey, s.secretKey, ""),
		HTTPClient:  &http.Client{Transport: transport, Timeout: time.Minute},
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.endpoint(scheme))
		o.UsePathStyle = true
	})
}
