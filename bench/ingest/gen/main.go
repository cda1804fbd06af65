// Command gen writes the benchmark's CSV file: a header and deterministic
// rows of the 10-column table in package dataset, until the file reaches
// -size bytes of CSV (before compression). With -gzip the same bytes are
// written gzipped. -schema writes the inlet dataset spec (JSON) and -duck
// the DuckDB column types.
//
//	gen -size 1GiB -o data.csv
//	gen -size 1GiB -gzip -o data.csv.gz
//	gen -schema schema.json -duck columns.txt
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"inlet/bench/ingest/internal/benchutil"
	"inlet/bench/ingest/internal/dataset"
)

func main() {
	size := flag.String("size", "", "CSV bytes to write, e.g. 1GiB, 2GB, 1MB (before compression)")
	out := flag.String("o", "", "output file")
	gz := flag.Bool("gzip", false, "gzip the output")
	level := flag.Int("level", gzip.DefaultCompression, "gzip level")
	schema := flag.String("schema", "", "write the inlet dataset spec (JSON) to this file")
	duck := flag.String("duck", "", "write the DuckDB column types to this file")
	flag.Parse()

	if *schema != "" {
		b, err := json.MarshalIndent(dataset.Spec(), "", "  ")
		check(err)
		check(os.WriteFile(*schema, append(b, '\n'), 0o644))
	}
	if *duck != "" {
		check(os.WriteFile(*duck, []byte(dataset.DuckDBColumns()+"\n"), 0o644))
	}
	if *size == "" {
		if *schema == "" && *duck == "" {
			fmt.Fprintln(os.Stderr, "gen: give -size and -o, or -schema / -duck")
			os.Exit(2)
		}
		return
	}
	n, err := benchutil.ParseSize(*size)
	check(err)
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -o is required with -size")
		os.Exit(2)
	}
	start := time.Now()
	f, err := os.Create(*out)
	check(err)
	var w io.Writer = f
	var zw *gzip.Writer
	if *gz {
		zw, err = gzip.NewWriterLevel(f, *level)
		check(err)
		w = zw
	}
	written, rows, err := dataset.Write(w, n)
	check(err)
	if zw != nil {
		check(zw.Close())
	}
	check(f.Close())
	st, err := os.Stat(*out)
	check(err)
	fmt.Printf("gen: %s: %d rows, %d CSV bytes, %d file bytes, %.1fs\n",
		*out, rows, written, st.Size(), time.Since(start).Seconds())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
