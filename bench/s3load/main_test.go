package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"inlet/bench/internal/noopserver"
)

// TestAgainstNoop drives every operation against the do-nothing server and
// expects operations done and no errors.
func TestAgainstNoop(t *testing.T) {
	srv := httptest.NewServer(noopserver.New(noopserver.Options{GetSize: 4096, Bucket: "bench", ListKeys: 1000}))
	defer srv.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	for _, tc := range []struct {
		name string
		c    config
	}{
		{"put signed", config{op: "put", size: 4096, clients: 4}},
		{"put unsigned", config{op: "put", size: 4096, clients: 4, unsigned: true}},
		{"put large overwrite", config{op: "put", size: 3 << 20, clients: 2, overwrite: 2}},
		{"get", config{op: "get", size: 100_000, clients: 4, setup: true}},
		{"head", config{op: "head", size: 4096, clients: 4, setup: true}},
		{"list", config{op: "list", clients: 2}},
		{"fill", config{op: "fill", size: 16, clients: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.endpoint = srv.URL
			c.accessKey, c.secretKey = "ak", "sk"
			c.bucket, c.prefix, c.listPrefix = "bench", "load", "list/"
			c.duration, c.count, c.opTimeout = 5*time.Second, 40, 10*time.Second
			if err := c.check(); err != nil {
				t.Fatal(err)
			}
			client, err := newClient(&c)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := createBucket(ctx, client, c.bucket); err != nil {
				t.Fatal(err)
			}
			l := &loader{c: &c, client: client, log: log, buf: makeBody(c.size)}
			if c.setup {
				if err := l.prePut(ctx); err != nil {
					t.Fatal(err)
				}
			}
			res := l.run(ctx)
			if res.errs != 0 || res.ops != 40 {
				t.Fatalf("ops %d errors %d, want 40 and 0", res.ops, res.errs)
			}
			if res.opsRate <= 0 || res.pct(0.99) <= 0 {
				t.Fatalf("rate %v p99 %v", res.opsRate, res.pct(0.99))
			}
			if c.op == "list" && res.keys != 40*1000 {
				t.Fatalf("listed %d keys, want 40000", res.keys)
			}
		})
	}
}

func TestCheckRefusesNonLoopback(t *testing.T) {
	for _, ep := range []string{"http://10.0.0.1:9000", "http://example.com", "http://[2001:db8::1]:80"} {
		c := config{op: "put", endpoint: ep, clients: 1, duration: time.Second}
		if err := c.check(); err == nil {
			t.Errorf("%s accepted", ep)
		}
	}
	for _, ep := range []string{"http://127.0.0.1:9000", "http://[::1]:9000", "http://localhost:9000"} {
		c := config{op: "put", endpoint: ep, clients: 1, duration: time.Second}
		if err := c.check(); err != nil {
			t.Errorf("%s refused: %v", ep, err)
		}
	}
}
