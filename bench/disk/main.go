// Command disk measures the disk's own fsynced sequential write rate, the
// yardstick for a server's large PUTs: it writes a file of each given size in
// fixed-size writes, calls fsync, and reports the rate from the first write to
// the end of the fsync. Run it with -dir on the same filesystem as the
// server's data directory.
//
// Two modes are measured, because on thin-provisioned virtual disks they
// differ several-fold: "fresh" keeps every file until all runs of a size are
// done, so each run writes blocks the filesystem has not just freed (as a
// server storing new objects does); "rewrite" deletes each file before the
// next run, which lets the filesystem hand the same, already-warm blocks out
// again.
//
// The last line printed is machine readable and starts with "RESULT ".
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	dir := flag.String("dir", os.TempDir(), "directory on the filesystem to measure")
	sizes := flag.String("sizes", "64MiB,1GiB", "comma-separated file sizes (suffixes KiB, MiB, GiB)")
	block := flag.String("block", "1MiB", "size of each write")
	runs := flag.Int("runs", 5, "runs per size and mode; the median is reported")
	mode := flag.String("mode", "both", "fresh, rewrite or both")
	verbose := flag.Bool("v", false, "print every run")
	budget := flag.Duration("budget", 20*time.Second, "stop the runs of one size and mode after this long (one measured run at least)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	b := &bench{dir: *dir, runs: *runs, verbose: *verbose, budget: *budget}
	if err := b.run(*sizes, *block, *mode); err != nil {
		log.Error("disk benchmark failed", "err", err)
		os.Exit(1)
	}
}

type bench struct {
	dir     string
	runs    int
	verbose bool
	budget  time.Duration
	buf     []byte
}

func (b *bench) run(sizeList, blockStr, mode string) error {
	bs, err := parseSize(blockStr)
	if err != nil || bs <= 0 {
		return fmt.Errorf("bad -block %q", blockStr)
	}
	if b.runs < 1 || b.runs > 20 {
		return errors.New("-runs must be 1..20")
	}
	var modes []string
	switch mode {
	case "both":
		modes = []string{"fresh", "rewrite"}
	case "fresh", "rewrite":
		modes = []string{mode}
	default:
		return fmt.Errorf("bad -mode %q", mode)
	}
	b.buf = make([]byte, bs)
	for i := range b.buf {
		b.buf[i] = byte(i*13 + i>>9) // not all zeros, in case the filesystem compresses
	}
	var fields []string
	for _, s := range strings.Split(sizeList, ",") {
		s = strings.TrimSpace(s)
		size, err := parseSize(s)
		if err != nil || size <= 0 {
			return fmt.Errorf("bad size %q", s)
		}
		for _, m := range modes {
			rates, err := b.measure(size, m == "fresh")
			if err != nil {
				return err
			}
			if b.verbose {
				for _, r := range rates {
					fmt.Printf("  run %s %s: %.1f MB/s\n", m, s, r)
				}
			}
			slices.Sort(rates)
			med := rates[len(rates)/2]
			fmt.Printf("fsynced sequential write, %s blocks, %s in %s writes: median %.1f MB/s (min %.1f, max %.1f, %d runs)\n",
				m, s, blockStr, med, rates[0], rates[len(rates)-1], len(rates))
			fields = append(fields, fmt.Sprintf("%s_mb_per_s_%d=%.1f", m, size, med))
		}
	}
	fmt.Printf("RESULT op=disk %s\n", strings.Join(fields, " "))
	return nil
}

// measure writes b.runs files of size bytes (fewer if b.budget runs out) and
// returns each run's MB/s. With keep, all files stay until the end; without
// it each is removed before the next run, after one unmeasured warm-up run.
func (b *bench) measure(size int64, keep bool) ([]float64, error) {
	var kept []string
	defer func() {
		for _, name := range kept {
			_ = os.Remove(name)
		}
	}()
	var rates []float64
	total := b.runs
	if !keep {
		total++ // warm-up
	}
	start := time.Now()
	for i := range total {
		if len(rates) > 0 && time.Since(start) > b.budget {
			break
		}
		name, d, err := b.writeFsync(size)
		if name != "" {
			if keep {
				kept = append(kept, name)
			} else {
				_ = os.Remove(name)
			}
		}
		if err != nil {
			return nil, err
		}
		if keep || i > 0 {
			rates = append(rates, float64(size)/d.Seconds()/1e6)
		}
	}
	return rates, nil
}

// writeFsync writes size bytes in len(b.buf) writes to a new temporary file,
// fsyncs and closes it, and returns its name and the time from the first
// write to the end of the fsync.
func (b *bench) writeFsync(size int64) (string, time.Duration, error) {
	f, err := os.CreateTemp(b.dir, "disk-bench-*")
	if err != nil {
		return "", 0, err
	}
	start := time.Now()
	for left := size; left > 0; {
		n := min(left, int64(len(b.buf)))
		if _, err := f.Write(b.buf[:n]); err != nil {
			f.Close()
			return f.Name(), 0, err
		}
		left -= n
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return f.Name(), 0, err
	}
	d := time.Since(start)
	return f.Name(), d, f.Close()
}

// parseSize reads a byte count such as "4096", "64MiB" or "1GiB".
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}
