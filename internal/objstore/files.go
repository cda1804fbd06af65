package objstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"inlet/internal/durable"
)

// File layout under the store's directory:
//
//	tmp/                 bodies being received; emptied at Open
//	objects/ab/cd/abcd…  object and part files, named by a random 128-bit id
const (
	objectsDir = "objects"
	tmpDir     = "tmp"
)

// newFileID returns a random file id: 32 hex digits.
func newFileID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validFileID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func (s *Store) filePath(id string) string {
	return filepath.Join(s.objDir, id[:2], id[2:4], id)
}

// fileDir returns the directory of id's file, creating it if needed. A
// directory is made durable (its parent fsynced) the first time this
// process uses it, whoever created it: a crash must not lose the entry that
// leads to a committed file.
func (s *Store) fileDir(id string) (string, error) {
	leaf := filepath.Join(s.objDir, id[:2], id[2:4])
	if _, ok := s.dirs.Load(leaf); ok {
		return leaf, nil
	}
	for _, d := range []string{filepath.Dir(leaf), leaf} {
		if _, ok := s.dirs.Load(d); ok {
			continue
		}
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("create object directory: %w", err)
		}
		if err := durable.SyncDir(filepath.Dir(d)); err != nil {
			return "", err
		}
		s.dirs.Store(d, struct{}{})
	}
	return leaf, nil
}

// objKey names an object for pinning.
type objKey struct{ bucket, key string }

// pin counts the open readers of one key and the files replaced or deleted
// while they read.
type pin struct {
	readers int
	doomed  []string
}

// pinKey marks a reader of k as active: files of k that a write releases
// from now on stay on disk until the reader is done. A reader pins before
// it looks the object up, so whatever version it finds keeps its files.
func (s *Store) pinKey(k objKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pins[k]
	if p == nil {
		p = &pin{}
		s.pins[k] = p
	}
	p.readers++
}

func (s *Store) unpinKey(k objKey) {
	s.mu.Lock()
	p := s.pins[k]
	p.readers--
	var doomed []string
	if p.readers == 0 {
		delete(s.pins, k)
		doomed = p.doomed
	}
	s.mu.Unlock()
	s.removeFiles(doomed)
}

// release removes the files of k's replaced or deleted version, at once or,
// while readers of k are active, when the last of them is done. It runs
// after the commit that dropped the files from the index; a crash before
// the removal leaves orphans for the next sweep.
func (s *Store) release(k objKey, ids []string) {
	if len(ids) == 0 {
		return
	}
	s.mu.Lock()
	if p := s.pins[k]; p != nil {
		p.doomed = append(p.doomed, ids...)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.removeFiles(ids)
}

func (s *Store) removeFiles(ids []string) {
	for _, id := range ids {
		if s.keepSpare(s.filePath(id)) {
			continue
		}
		if err := os.Remove(s.filePath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("remove object file", "file", id, "error", err)
		}
	}
}

// Spare files. A large body file that is no longer part of any object
// (its version replaced or deleted, its readers gone) is moved to tmp/
// instead of removed, and the next large write overwrites it in place.
// Writing into a file's existing blocks and page-cache pages is several
// times cheaper than into a new file: on this project's 2-core machines,
// 64 MiB written and fsynced took 45 ms of CPU into a new file and 10 ms
// into a spare one. The spares are bounded in number, and tmp/ is emptied
// at start like any temporary file.
const (
	maxSpares    = 8
	minSpareSize = 1 << 20
)

// keepSpare moves the file at path to the spares if there is room and it
// is large enough; it reports whether it did.
func (s *Store) keepSpare(path string) bool {
	st, err := os.Stat(path)
	if err != nil || st.Size() < minSpareSize {
		return false
	}
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	if len(s.spares) >= maxSpares {
		return false
	}
	spare := filepath.Join(s.tmpDir, "spare-"+newFileID())
	if err := os.Rename(path, spare); err != nil {
		return false
	}
	s.spares = append(s.spares, spare)
	return true
}

// takeSpare opens a spare file for writing from its start, or returns nil
// if there is none.
func (s *Store) takeSpare() *os.File {
	for {
		s.spareMu.Lock()
		if len(s.spares) == 0 {
			s.spareMu.Unlock()
			return nil
		}
		path := s.spares[len(s.spares)-1]
		s.spares = s.spares[:len(s.spares)-1]
		s.spareMu.Unlock()
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			return f
		}
		os.Remove(path)
	}
}

// sweep empties tmp/ and removes the files under objects/ that the index
// does not reference: bodies whose write crashed between rename and commit,
// and files whose removal after a commit was cut short. It must run before
// the store serves, when no write is in flight.
func (s *Store) sweep(ctx context.Context) error {
	tmp, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for _, e := range tmp {
		if err := os.RemoveAll(filepath.Join(s.tmpDir, e.Name())); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}

	rows, err := s.db.Reader().QueryContext(ctx, "SELECT id FROM files ORDER BY id")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer rows.Close()

	// Both the directory walk (ReadDir sorts) and the query are in id
	// order, so one pass over each finds the orphans.
	var indexed string
	more := true
	nextIndexed := func() error {
		if more = rows.Next(); more {
			return rows.Scan(&indexed)
		}
		return rows.Err()
	}
	if err := nextIndexed(); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	var orphans, missing int
	err = s.walkFiles(func(path, id string) error {
		for more && indexed < id {
			missing++
			if err := nextIndexed(); err != nil {
				return err
			}
		}
		if more && indexed == id {
			return nextIndexed()
		}
		orphans++
		return os.Remove(path)
	})
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for more {
		missing++
		if err := nextIndexed(); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}

	if orphans > 0 {
		s.log.Info("swept orphan files", "count", orphans)
	}
	if missing > 0 {
		s.log.Error("object files missing from disk", "count", missing, "dir", s.objDir)
	}
	return nil
}

// walkFiles calls fn for each file under objects/ in id order. Entries
// that are not where an id puts them are not the store's: they are left
// alone, with a warning.
func (s *Store) walkFiles(fn func(path, id string) error) error {
	l1, err := os.ReadDir(s.objDir)
	if err != nil {
		return err
	}
	for _, a := range l1 {
		if !a.IsDir() || len(a.Name()) != 2 {
			s.log.Warn("unexpected entry in object directory", "path", filepath.Join(s.objDir, a.Name()))
			continue
		}
		dirA := filepath.Join(s.objDir, a.Name())
		l2, err := os.ReadDir(dirA)
		if err != nil {
			return err
		}
		for _, b := range l2 {
			if !b.IsDir() || len(b.Name()) != 2 {
				s.log.Warn("unexpected entry in object directory", "path", filepath.Join(dirA, b.Name()))
				continue
			}
			dirB := filepath.Join(dirA, b.Name())
			files, err := os.ReadDir(dirB)
			if err != nil {
				return err
			}
			for _, f := range files {
				id := f.Name()
				if !validFileID(id) || id[:2] != a.Name() || id[2:4] != b.Name() {
					s.log.Warn("unexpected entry in object directory", "path", filepath.Join(dirB, id))
					continue
				}
				if err := fn(filepath.Join(dirB, id), id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
