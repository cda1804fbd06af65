// Package durable holds the file-system calls that make writes durable,
// shared by the object store (object bodies) and the table writer
// (Parquet files, manifests, metadata).
package durable

import (
	"fmt"
	"os"
)

// SyncDir fsyncs a directory, making the entries created in it (and
// renamed into it) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
