// Command pipeline runs inlet's own ingestion pipeline in-process on a
// local CSV file (optionally gzipped) and reports its throughput, rows and
// peak RSS.
//
// It does what internal/delivery does for one file of a file set, minus
// the bucket: ingest.Open on the file with the benchmark dataset's fields
// and file configuration, File.Next for batches of checked rows, and
// tables.Commit streaming the batches into Parquet data files of an
// Iceberg table and committing them as one snapshot, on a metadata
// database and warehouse in a temporary directory.
//
// -mode picks how far it goes, to show where the time goes:
//
//	parse   ingest.Open and File.Next only: parsing and schema checks
//	full    the whole pipeline into a committed Iceberg snapshot (default)
//
// Usage:
//
//	pipeline [-cpus N] [-mode full|parse] [-codec C] [-tmp DIR] [-cpuprofile F] FILE
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"inlet/bench/ingest/internal/benchutil"
	"inlet/bench/ingest/internal/dataset"
	"inlet/internal/catalog"
	"inlet/internal/ingest"
	"inlet/internal/meta"
	"inlet/internal/tables"
)

func main() {
	cpus := flag.Int("cpus", 0, "GOMAXPROCS; 0 keeps Go's default")
	mode := flag.String("mode", "full", "full or parse")
	tmp := flag.String("tmp", "", "directory for the metadata database and warehouse (default a new temporary directory, removed at the end)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	codec := flag.String("codec", "snappy", "compression of the table's Parquet files: snappy, zstd or uncompressed")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pipeline [-cpus N] [-mode full|parse] [-codec C] [-tmp DIR] [-cpuprofile F] FILE")
		os.Exit(2)
	}
	if *mode != "full" && *mode != "parse" {
		fmt.Fprintf(os.Stderr, "pipeline: -mode %q: want full or parse\n", *mode)
		os.Exit(2)
	}
	if *cpus > 0 {
		runtime.GOMAXPROCS(*cpus)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), flag.Arg(0), *mode, *tmp, *codec); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path, mode, tmp, codec string) error {
	spec, err := catalog.ValidateDatasetSpec(dataset.Spec())
	if err != nil {
		return fmt.Errorf("dataset spec: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if tmp == "" {
		if tmp, err = os.MkdirTemp("", "inlet-pipeline-"); err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
	}

	// The table and its catalog are set up before the clock starts, as in
	// the server, where they exist before a delivery arrives.
	var tbl *tables.Catalog
	if mode == "full" {
		db, err := meta.Open(ctx, filepath.Join(tmp, "meta.db"), nil)
		if err != nil {
			return err
		}
		defer db.Close()
		if tbl, err = tables.Open(ctx, db.SQL(), filepath.Join(tmp, "warehouse"), nil); err != nil {
			return err
		}
		defer tbl.Close()
		if err := tbl.SetCodec(codec); err != nil {
			return err
		}
		if _, err := tbl.CreateTable(ctx, 1, spec.Fields); err != nil {
			return err
		}
	}

	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	file, err := ingest.Open(f, filepath.Base(path), spec.Fields, spec.File, ingest.Options{TempDir: tmp})
	if err != nil {
		return err
	}
	defer file.Close()
	rr := &reader{file: file}

	var snap int64
	if mode == "full" {
		snap, err = tbl.Commit(ctx, 1, rr, catalog.WriteAppend, map[string]string{"inlet.bench": "pipeline"})
		if rr.err != nil {
			err = rr.err
		}
	} else {
		for err == nil {
			_, err = rr.Next()
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	sum := file.Summary()
	if sum.Status == ingest.StatusFailed {
		return fmt.Errorf("file failed: %s", sum.Reason)
	}

	secs := elapsed.Seconds()
	rate := float64(st.Size()) / benchutil.MB / secs
	drate := float64(sum.BytesDecompressed) / benchutil.MB / secs
	rss := benchutil.PeakRSS()
	fmt.Printf("pipeline %s: %s, %d bytes (%d decompressed, %s), GOMAXPROCS %d\n",
		mode, filepath.Base(path), st.Size(), sum.BytesDecompressed, sum.Compression, runtime.GOMAXPROCS(0))
	fmt.Printf("  rows %d accepted, %d rejected; snapshot %d\n", sum.RowsAccepted, sum.RowsRejected, snap)
	fmt.Printf("  %.2f s: %.1f MB/s of input, %.1f MB/s decompressed; peak RSS %.0f MiB\n",
		secs, rate, drate, float64(rss)/benchutil.MiB)
	if sum.RowsRejected > 0 {
		for _, r := range sum.FirstRejects[:min(5, len(sum.FirstRejects))] {
			fmt.Printf("  reject: line %d field %s value %q: %s\n", r.Line, r.Field, r.Value, r.Reason)
		}
	}
	benchutil.Result("tool", "pipeline", "mode", mode, "cpus", runtime.GOMAXPROCS(0),
		"file", filepath.Base(path), "bytes", st.Size(), "decompressed", sum.BytesDecompressed,
		"rows", sum.RowsAccepted, "rejected", sum.RowsRejected, "seconds", fmt.Sprintf("%.3f", secs),
		"mbps", fmt.Sprintf("%.1f", rate), "mbps_decompressed", fmt.Sprintf("%.1f", drate),
		"peak_rss_mib", fmt.Sprintf("%.0f", float64(rss)/benchutil.MiB))
	return nil
}

// reader streams the file's accepted rows in column batches, like
// internal/delivery's fileSetReader does for a file set.
type reader struct {
	file *ingest.File
	err  error
}

// Next returns the next batch of accepted rows, or io.EOF.
func (r *reader) Next() (*ingest.Batch, error) {
	for r.err == nil {
		b, err := r.file.Next()
		switch {
		case errors.Is(err, io.EOF):
			return nil, io.EOF
		case err != nil:
			r.err = fmt.Errorf("%s: %s", r.file.Name(), strings.TrimSpace(r.file.Summary().Reason))
			return nil, r.err
		}
		if b.Rows > 0 {
			return b, nil
		}
	}
	return nil, r.err
}
