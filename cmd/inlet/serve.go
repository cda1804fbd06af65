package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"inlet/internal/certs"
	"inlet/internal/cloud"
	"inlet/internal/console/api"
	"inlet/internal/meta"
	"inlet/internal/tables"
)

// serveConfig is the configuration of `inlet serve`: defaults, then INLET_*
// environment variables, then flags.
type serveConfig struct {
	Data         string
	CloudAddr    string
	CloudTLSAddr string
	ConsoleAddr  string
	Region       string
	Domain       string
	TLSCert      string
	TLSKey       string
	LogLevel     string
	LogFormat    string
	Cloud        string // embedded or aws
	BucketPrefix string
	Warehouse    string
	ParquetCodec string // compression of new tables' data files
	PollInterval time.Duration
	MemoryLimit  int64 // bytes; the Go runtime's soft limit
}

func defaultServeConfig() serveConfig {
	return serveConfig{
		Data:         "./data",
		CloudAddr:    "127.0.0.1:9000",
		ConsoleAddr:  "127.0.0.1:8080",
		Region:       "us-east-1",
		LogLevel:     "info",
		LogFormat:    "json",
		Cloud:        "embedded",
		BucketPrefix: "inlet",
		ParquetCodec: "snappy",
		PollInterval: 30 * time.Second,
		MemoryLimit:  192 << 20,
	}
}

// Validate reports every problem with the configuration.
func (c serveConfig) Validate() error {
	var errs []error
	if c.Data == "" {
		errs = append(errs, errors.New("--data must not be empty"))
	}
	for name, addr := range map[string]string{"--cloud-addr": c.CloudAddr, "--console-addr": c.ConsoleAddr, "--cloud-tls-addr": c.CloudTLSAddr} {
		if addr == "" && name == "--cloud-tls-addr" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port", name, addr))
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.TLSCert != "" && c.CloudTLSAddr == "" {
		errs = append(errs, errors.New("--tls-cert needs --cloud-tls-addr"))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.Cloud != "embedded" && c.Cloud != "aws" {
		errs = append(errs, fmt.Errorf("--cloud %q: want embedded or aws", c.Cloud))
	}
	if !slices.Contains(tables.Codecs, c.ParquetCodec) {
		errs = append(errs, fmt.Errorf("--parquet-compression %q: want one of %s", c.ParquetCodec,
			strings.Join(tables.Codecs, ", ")))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("--log-format %q: want json or text", c.LogFormat))
	}
	return errors.Join(errs...)
}

func newServeCmd() *cobra.Command {
	cfg := defaultServeConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the cloud endpoint and the console",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runServe(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Data, "data", cfg.Data, "data directory (INLET_DATA)")
	f.StringVar(&cfg.CloudAddr, "cloud-addr", cfg.CloudAddr, "cloud endpoint address, plain HTTP (INLET_CLOUD_ADDR)")
	f.StringVar(&cfg.CloudTLSAddr, "cloud-tls-addr", cfg.CloudTLSAddr, "cloud endpoint address for HTTPS; off when empty (INLET_CLOUD_TLS_ADDR)")
	f.StringVar(&cfg.ConsoleAddr, "console-addr", cfg.ConsoleAddr, "console address (INLET_CONSOLE_ADDR)")
	f.StringVar(&cfg.Region, "region", cfg.Region, "region of the cloud endpoint (INLET_REGION)")
	f.StringVar(&cfg.Domain, "domain", cfg.Domain, "domain for virtual-host-style requests, e.g. s3.localhost (INLET_DOMAIN)")
	f.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "TLS certificate (PEM); without it a self-signed one is made in DATA/tls (INLET_TLS_CERT)")
	f.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "TLS private key (PEM) (INLET_TLS_KEY)")
	f.StringVar(&cfg.Cloud, "cloud", cfg.Cloud, "the cloud the console provisions in: embedded or aws (INLET_CLOUD)")
	f.StringVar(&cfg.BucketPrefix, "bucket-prefix", cfg.BucketPrefix, "prefix of managed bucket names (INLET_BUCKET_PREFIX)")
	f.StringVar(&cfg.Warehouse, "warehouse", cfg.Warehouse, "Iceberg warehouse directory (default DATA/warehouse) (INLET_WAREHOUSE)")
	f.StringVar(&cfg.ParquetCodec, "parquet-compression", cfg.ParquetCodec, "compression of the Parquet files of tables created from now on: snappy, zstd or uncompressed (INLET_PARQUET_COMPRESSION)")
	f.DurationVar(&cfg.PollInterval, "poll-interval", cfg.PollInterval, "with --cloud aws, how often buckets are listed for new file sets (INLET_POLL_INTERVAL)")
	f.Int64Var(&cfg.MemoryLimit, "memory-limit", cfg.MemoryLimit, "soft memory limit in bytes for the Go runtime (GOMEMLIMIT wins when set); 0 for none (INLET_MEMORY_LIMIT)")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (INLET_LOG_LEVEL)")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "json or text (INLET_LOG_FORMAT)")
	bindEnv(f)
	return cmd
}

// bindEnv lets INLET_<FLAG> set every flag not given on the command line.
func bindEnv(f *pflag.FlagSet) {
	f.VisitAll(func(fl *pflag.Flag) {
		env := "INLET_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			fl.Value.Set(v)
			fl.DefValue = v
		}
	})
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(cfg serveConfig) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

func runServe(ctx context.Context, cfg serveConfig, out interface{ Write([]byte) (int, error) }) error {
	log := newLogger(cfg)
	// A soft limit makes the collector work harder before the heap grows:
	// ingestion streams large files through short-lived buffers, and
	// without it garbage piles up well past the live heap.
	if os.Getenv("GOMEMLIMIT") == "" && cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	unlock, err := lockDataDir(cfg.Data)
	if err != nil {
		return err
	}
	defer unlock()
	db, err := meta.Open(ctx, filepath.Join(cfg.Data, "meta.db"), log)
	if err != nil {
		return err
	}
	defer db.Close()
	// The console's ingestion runner hears of new objects from the
	// embedded cloud; it is set once the console is built.
	var onCreated atomic.Pointer[func(bucket, key string)]
	c, err := cloud.Open(ctx, cloud.Options{
		DataDir:   cfg.Data,
		Region:    cfg.Region,
		Domain:    cfg.Domain,
		MasterKey: os.Getenv("INLET_MASTER_KEY"),
		Logger:    log,
		DB:        db,
		ObjectCreated: func(bucket, key string) {
			if f := onCreated.Load(); f != nil {
				(*f)(bucket, key)
			}
		},
	})
	if err != nil {
		return err
	}
	defer c.Close()

	var servers []*http.Server
	serveOn := func(name, addr string, h http.Handler, certFile, keyFile string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen %s on %s: %w", name, addr, err)
		}
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		servers = append(servers, srv)
		go func() {
			var err error
			if certFile != "" {
				err = srv.ServeTLS(ln, certFile, keyFile)
			} else {
				err = srv.Serve(ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("server stopped", "server", name, "error", err)
				stop()
			}
		}()
		return ln, nil
	}

	cloudLn, err := serveOn("cloud", cfg.CloudAddr, c.Handler(), "", "")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cloud endpoint:  http://%s\n", cloudLn.Addr())
	if cfg.CloudTLSAddr != "" {
		certFile, keyFile := cfg.TLSCert, cfg.TLSKey
		if certFile == "" {
			files, err := certs.Loopback(filepath.Join(cfg.Data, "tls"), cfg.Domain)
			if err != nil {
				return err
			}
			certFile, keyFile = files.Cert, files.Key
			fmt.Fprintf(out, "tls ca bundle:   %s (AWS_CA_BUNDLE)\n", files.CA)
		}
		ln, err := serveOn("cloud-tls", cfg.CloudTLSAddr, c.Handler(), certFile, keyFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "cloud endpoint:  https://%s\n", ln.Addr())
	}
	var denials api.Denials
	if cfg.Cloud == "embedded" {
		denials = func(ctx context.Context, bucket string, limit int) ([]api.Denial, error) {
			ds, err := c.Denials(ctx, bucket, limit)
			out := make([]api.Denial, len(ds))
			for i, d := range ds {
				out[i] = api.Denial{Time: d.Time, Principal: d.Principal, Operation: d.Operation, Action: d.Action,
					Key: d.Key, Reason: d.Reason, RequestID: d.RequestID, SourceIP: d.SourceIP}
			}
			return out, err
		}
	}
	console, err := newConsole(ctx, cfg, db, "http://"+cloudLn.Addr().String(), denials, log)
	if err != nil {
		return err
	}
	consoleLn, err := serveOn("console", cfg.ConsoleAddr, console.handler(), "", "")
	if err != nil {
		return err
	}
	if cfg.Cloud == "embedded" {
		f := console.runner.ObjectCreated
		onCreated.Store(&f)
	}
	console.start(ctx)
	defer console.runner.Wait()
	defer console.tables.Close()
	fmt.Fprintf(out, "console:         http://%s\n", consoleLn.Addr())
	fmt.Fprintf(out, "platform account %s; root credentials in %s\n", c.PlatformAccount().ID, c.CredentialsPath())
	fmt.Fprintf(out, "admin token:     %s\n", filepath.Join(cfg.Data, "admin-token"))
	log.Info("listening", "cloud", cloudLn.Addr().String(), "console", consoleLn.Addr().String())

	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("shutdown", "error", err)
		}
	}
	return nil
}
