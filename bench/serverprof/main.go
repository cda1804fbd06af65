// Command serverprof runs inlet's cloud endpoint in-process, the way
// `inlet serve` assembles it, next to net/http/pprof, so the server's CPU
// can be profiled under bench/s3load load:
//
//	go run ./bench/serverprof -data DIR -addr 127.0.0.1:9000 -pprof-addr 127.0.0.1:6060
//	go tool pprof -top 'http://127.0.0.1:6060/debug/pprof/profile?seconds=5'
//
// It listens on loopback only and stops by itself after -lifetime.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"inlet/internal/cloud"
)

func main() {
	data := flag.String("data", "", "data directory (required)")
	addr := flag.String("addr", "127.0.0.1:9000", "loopback address of the cloud endpoint")
	pprofAddr := flag.String("pprof-addr", "127.0.0.1:6060", "loopback address of net/http/pprof")
	lifetime := flag.Duration("lifetime", 15*time.Minute, "stop after this long")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(log, *data, *addr, *pprofAddr, *lifetime); err != nil {
		log.Error("serverprof", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, data, addr, pprofAddr string, lifetime time.Duration) error {
	if data == "" {
		return errors.New("-data is required")
	}
	if lifetime <= 0 || lifetime > time.Hour {
		return errors.New("-lifetime must be in (0, 1h]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, lifetime)
	defer cancel()

	c, err := cloud.Open(ctx, cloud.Options{DataDir: data, Region: "us-east-1", Logger: log})
	if err != nil {
		return err
	}
	defer c.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })

	var srvs []*http.Server
	for _, s := range []struct {
		addr string
		h    http.Handler
	}{{addr, c.Handler()}, {pprofAddr, mux}} {
		host, _, err := net.SplitHostPort(s.addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%q is not a loopback address", s.addr)
		}
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 30 * time.Second}
		srvs = append(srvs, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("serve", "addr", s.addr, "err", err)
				cancel()
			}
		}()
	}
	fmt.Printf("cloud endpoint http://%s, pprof http://%s/debug/pprof/, credentials %s\n", addr, pprofAddr, c.CredentialsPath())
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	for _, srv := range srvs {
		_ = srv.Shutdown(sctx)
	}
	return nil
}
