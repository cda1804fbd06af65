// Command noop is a do-nothing S3 server used as the benchmark ceiling.
//
// It answers the requests the load generator sends as cheaply as it can and
// never verifies a signature: PUT object drains the body and answers 200 with
// an ETag, GET object streams bytes from a fixed buffer, HEAD answers the
// headers alone, CreateBucket answers 200 and ListObjectsV2 answers a fixed
// 1,000-key page rendered once at start. Client and server share the CPU on a
// small machine, so what the load generator reaches against this server is the
// best any real server could do there.
//
// The size of a GET or HEAD object comes from its key: a last path segment of
// the form "obj-SIZE-..." (for example "obj-67108864-3") means SIZE bytes;
// other keys get the -get-size flag's value.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"inlet/bench/internal/noopserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9100", "loopback address to listen on")
	getSize := flag.Int64("get-size", 4096, "object size for GET/HEAD keys that do not name one")
	listKeys := flag.Int("list-keys", 1000, "number of keys in the fixed ListObjectsV2 page")
	bucket := flag.String("bucket", "bench", "bucket name written into the ListObjectsV2 page")
	addrFile := flag.String("addr-file", "", "if set, write the bound address to this file once listening")
	consoleAddr := flag.String("console-addr", "", "if set, also answer GET /healthz with 200 on this loopback address, so noop can stand in for inlet when testing bench/run.sh")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !isLoopback(host) {
		log.Error("refusing a non-loopback listen address", "addr", *addr)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			log.Error("write addr file", "err", err)
			os.Exit(1)
		}
	}
	h := noopserver.New(noopserver.Options{GetSize: *getSize, Bucket: *bucket, ListKeys: *listKeys})
	if *consoleAddr != "" {
		if err := serveConsole(log, *consoleAddr); err != nil {
			log.Error("console", "err", err)
			os.Exit(1)
		}
	}
	log.Info("noop S3 server listening", "addr", ln.Addr().String())
	srv := &http.Server{Handler: h, ErrorLog: nil}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}

// serveConsole answers /healthz on addr in the background.
func serveConsole(log *slog.Logger, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopback(host) {
		return fmt.Errorf("refusing non-loopback console address %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	go func() {
		if err := http.Serve(ln, mux); err != nil {
			log.Error("console serve", "err", err)
		}
	}()
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
