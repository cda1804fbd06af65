// Command duckdb is the reference the pipeline is compared with: DuckDB
// copies the same CSV file (optionally gzipped) to a Parquet file, reading
// it with the benchmark table's explicit column types:
//
//	SET threads = N;
//	COPY (SELECT * FROM read_csv('FILE', header = true, columns = {...}))
//	  TO 'OUT' (FORMAT parquet);
//
// It reports MB/s of input (the file's size over the COPY's wall time), the
// rows copied and the peak RSS.
//
// Usage:
//
//	duckdb [-threads N] [-compression snappy] [-o OUT.parquet] FILE
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"inlet/bench/ingest/internal/benchutil"
	"inlet/bench/ingest/internal/dataset"
)

func main() {
	threads := flag.Int("threads", 1, "DuckDB threads (SET threads)")
	compression := flag.String("compression", "snappy", "Parquet compression (snappy is DuckDB's default and inlet's; zstd both write too)")
	out := flag.String("o", "", "output Parquet file (default a temporary file, removed at the end)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: duckdb [-threads N] [-compression snappy] [-o OUT.parquet] FILE")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *out, *threads, *compression); err != nil {
		fmt.Fprintln(os.Stderr, "duckdb:", err)
		os.Exit(1)
	}
}

// quote makes s a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func run(ctx context.Context, path, out string, threads int, compression string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if out == "" {
		dir, err := os.MkdirTemp("", "inlet-duckdb-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		out = filepath.Join(dir, "out.parquet")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // SET applies to the connection
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
		return err
	}
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT version()").Scan(&version); err != nil {
		return err
	}
	q := fmt.Sprintf("COPY (SELECT * FROM read_csv(%s, header = true, columns = %s)) TO %s (FORMAT parquet, COMPRESSION %s)",
		quote(path), dataset.DuckDBColumns(), quote(out), compression)
	start := time.Now()
	res, err := conn.ExecContext(ctx, q)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	rows, _ := res.RowsAffected()
	secs := elapsed.Seconds()
	rate := float64(st.Size()) / benchutil.MB / secs
	rss := benchutil.PeakRSS()
	fmt.Printf("duckdb %s, threads %d: %s, %d bytes -> parquet (%s)\n", version, threads, filepath.Base(path), st.Size(), compression)
	fmt.Printf("  rows %d\n", rows)
	fmt.Printf("  %.2f s: %.1f MB/s of input; peak RSS %.0f MiB\n", secs, rate, float64(rss)/benchutil.MiB)
	benchutil.Result("tool", "duckdb", "version", version, "threads", threads, "file", filepath.Base(path),
		"bytes", st.Size(), "rows", rows, "seconds", fmt.Sprintf("%.3f", secs),
		"mbps", fmt.Sprintf("%.1f", rate), "peak_rss_mib", fmt.Sprintf("%.0f", float64(rss)/benchutil.MiB))
	return nil
}
