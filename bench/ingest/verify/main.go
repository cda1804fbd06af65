// Command verify reads inlet's Parquet data files with DuckDB, an engine
// that did not write them, and compares them with DuckDB's own conversion
// of the same CSV: for every column the count of values, the minimum and
// the maximum, and for numbers the sum. It is a check of inlet's Parquet
// writer by another reader, at the size the benchmark runs.
//
// Usage:
//
//	verify -inlet 'DIR/**/*.parquet' -duckdb OUT.parquet
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"

	"inlet/bench/ingest/internal/dataset"
	"inlet/internal/catalog"
)

func main() {
	inletGlob := flag.String("inlet", "", "glob of inlet's Parquet data files")
	duckFile := flag.String("duckdb", "", "DuckDB's Parquet file of the same CSV")
	flag.Parse()
	if *inletGlob == "" || *duckFile == "" {
		fmt.Fprintln(os.Stderr, "usage: verify -inlet GLOB -duckdb FILE")
		os.Exit(2)
	}
	if err := run(context.Background(), *inletGlob, *duckFile); err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, inletGlob, duckFile string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	var exprs []string
	for _, f := range dataset.Fields() {
		c := `"` + f.Name + `"`
		exprs = append(exprs, "count("+c+")", "min("+c+")::VARCHAR", "max("+c+")::VARCHAR")
		switch f.Type {
		case catalog.TypeLong, catalog.TypeDouble:
			exprs = append(exprs, "round(sum("+c+"), 2)::VARCHAR")
		}
	}
	query := func(from string) ([]string, error) {
		q := "SELECT count(*)::VARCHAR, " + strings.Join(exprs, ", ") + " FROM read_parquet(" + quote(from) + ")"
		row := db.QueryRowContext(ctx, q)
		vals := make([]sql.NullString, 1+len(exprs))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := row.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = v.String
		}
		return out, nil
	}
	got, err := query(inletGlob)
	if err != nil {
		return err
	}
	want, err := query(duckFile)
	if err != nil {
		return err
	}
	names := append([]string{"count(*)"}, exprs...)
	bad := 0
	for i := range got {
		if got[i] != want[i] {
			fmt.Printf("  %s: inlet %s, DuckDB %s\n", names[i], got[i], want[i])
			bad++
		}
	}
	fmt.Printf("verify: %d aggregates over %s rows, %d differ\n", len(got), got[0], bad)
	fmt.Printf("RESULT tool=verify rows=%s aggregates=%d differ=%d\n", got[0], len(got), bad)
	if bad > 0 {
		return fmt.Errorf("%d aggregates differ between inlet's files and DuckDB's", bad)
	}
	return nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
