package tables

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/iceberg-go/table"
)

// SweepOrphans deletes the Parquet files in each table's data directory
// that no snapshot of the table references and that were last written
// before before: what a commit interrupted by a crash or a kill left
// behind (a commit that fails cleans up after itself). Readers that list
// the data directory instead of reading the table's metadata would
// otherwise count those rows. Call it when no commit can be running, at
// start. A table whose metadata cannot be read whole is left alone.
func (c *Catalog) SweepOrphans(ctx context.Context, before time.Time) (files int, bytes int64, err error) {
	for id, err := range c.cat.ListTables(ctx, table.Identifier{Namespace}) {
		if err != nil {
			return files, bytes, fmt.Errorf("sweep: list tables: %w", err)
		}
		tbl, err := c.cat.LoadTable(ctx, id)
		if err != nil {
			c.log.Warn("sweep: load table", "table", strings.Join(id, "."), "err", err)
			continue
		}
		n, b, err := sweepTable(ctx, tbl, before)
		if err != nil {
			c.log.Warn("sweep: table left alone", "table", strings.Join(id, "."), "err", err)
		}
		if n > 0 {
			c.log.Info("swept data files no snapshot holds", "table", strings.Join(id, "."), "files", n, "bytes", b)
		}
		files, bytes = files+n, bytes+b
	}
	return files, bytes, nil
}

func sweepTable(ctx context.Context, tbl *table.Table, before time.Time) (int, int64, error) {
	dir, err := fromURI(tbl.Location() + "/data")
	if err != nil {
		return 0, 0, err
	}
	held, err := referencedFiles(ctx, tbl)
	if err != nil {
		return 0, 0, err
	}
	var n int
	var b int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // no data yet
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".parquet") || held[p] {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(before) {
			return nil
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		n, b = n+1, b+info.Size()
		return nil
	})
	return n, b, err
}

// referencedFiles is the local path of every data file any snapshot of
// tbl holds, current or not (older snapshots can still be read).
func referencedFiles(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	seen := map[string]bool{}
	for _, snap := range tbl.Metadata().Snapshots() {
		manifests, err := snap.Manifests(fsys)
		if err != nil {
			return nil, fmt.Errorf("snapshot %d: %w", snap.SnapshotID, err)
		}
		for _, m := range manifests {
			if seen[m.FilePath()] {
				continue
			}
			seen[m.FilePath()] = true
			entries, err := m.FetchEntries(fsys, false)
			if err != nil {
				return nil, fmt.Errorf("manifest %s: %w", m.FilePath(), err)
			}
			for _, e := range entries {
				p, err := fromURI(e.DataFile().FilePath())
				if err != nil {
					return nil, err
				}
				held[p] = true
			}
		}
	}
	return held, nil
}

// fromURI turns a file:// URI (or a plain path) of the warehouse into a
// local path.
func fromURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "file":
		return filepath.Clean(filepath.FromSlash(u.Path)), nil
	case "":
		return filepath.Clean(uri), nil
	}
	return "", fmt.Errorf("%s: not a local file", uri)
}
