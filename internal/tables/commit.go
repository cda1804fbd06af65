package tables

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/apache/iceberg-go"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go/format"

	"inlet/internal/catalog"
	"inlet/internal/durable"
	"inlet/internal/ingest"
)

// Snapshot is one committed snapshot of a dataset's table.
type Snapshot struct {
	ID        int64             `json:"id"`
	ParentID  int64             `json:"parent_id,omitempty"` // 0 for the first
	Sequence  int64             `json:"sequence"`
	Timestamp time.Time         `json:"timestamp"`
	Operation string            `json:"operation"` // append, overwrite, delete, replace
	Summary   map[string]string `json:"summary"`
}

// Commit writes rows to new Parquet data files and commits them to the
// dataset's table as one snapshot, in one transaction. mode is
// [catalog.WriteAppend] (the files are added) or [catalog.WriteOverwrite]
// (they replace every current data file). summary is added to the
// snapshot's summary (e.g. "inlet.file-set"); keys that Iceberg sets
// itself (added-records, ...) are Iceberg's. It is read once rows has
// returned io.EOF, so that rows may add what it learnt while read.
//
// rows' columns are the table's, in order, with their types. They are
// streamed: each batch is encoded into Parquet pages as it comes (pages
// are compressed by other goroutines meanwhile), and files roll at the
// table's target size, so memory does not grow with the input beyond a
// row group (the table's row-group size, 32 MiB by default).
//
// If rows returns an error, writing fails, or the catalog rejects the
// commit, nothing is committed and the files written are deleted. An
// overwrite overtaken by another commit fails with [ErrConflict] (it
// would otherwise keep the other commit's rows). If the catalog commit
// fails in a way that leaves its outcome unknown, the files are left for a
// later sweep. It returns the new snapshot's id.
//
// Checking [Catalog.CommittedFileSet] and then calling Commit is not
// atomic: the caller serialises the ingestion of one file set.
func (c *Catalog) Commit(ctx context.Context, datasetID int64, rows Batches,
	mode string, summary map[string]string, opts ...CommitOption,
) (int64, error) {
	var cfg commitConfig
	for _, o := range opts {
		o(&cfg)
	}
	if mode != catalog.WriteAppend && mode != catalog.WriteOverwrite {
		return 0, fmt.Errorf("commit: unknown mode %q", mode)
	}
	loaded, err := c.load(ctx, datasetID)
	if err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	fsys, err := loaded.FS(ctx)
	if err != nil {
		return 0, fmt.Errorf("commit: table io: %w", err)
	}
	wfs, ok := fsys.(icebergio.WriteFileIO)
	if !ok {
		return 0, fmt.Errorf("commit: table io %T cannot write", fsys)
	}
	tracked := &trackingIO{WriteFileIO: wfs}
	tbl := table.New(loaded.Identifier(), loaded.Metadata(), loaded.MetadataLocation(),
		func(context.Context) (icebergio.IO, error) { return tracked, nil }, c.cat)

	files, err := writeDataFiles(ctx, tbl, tracked, rows)
	if err != nil {
		c.discard(datasetID, tracked, 0)
		return 0, fmt.Errorf("commit: write data files: %w", err)
	}

	props := iceberg.Properties(maps.Clone(summary))
	var committed *table.Table
	for attempt := 1; ; attempt++ {
		mark := len(tracked.paths())
		committed, err = commitOnce(ctx, tbl, mode, files, props, cfg)
		if err == nil {
			break
		}
		if errors.Is(err, table.ErrCommitFailed) || errors.Is(err, errStage) {
			// Refused before or by the catalog: it certainly did not happen.
			c.discard(datasetID, tracked, 0)
			return 0, fmt.Errorf("commit: %w", conflictOr(err))
		}

		// iceberg-go's SQL catalog reports a commit based on an old
		// snapshot as a plain error, not ErrCommitFailed, so iceberg-go
		// does not retry it. Such a commit is recognised by the table's
		// head having moved to a snapshot that is not this one's.
		fresh, lerr := c.load(ctx, datasetID)
		if lerr != nil || !overtaken(tbl, fresh, tracked.paths()[mark:]) {
			c.log.Warn("commit failed; its files are left for a sweep",
				"dataset", datasetID, "files", len(tracked.paths()), "err", err)
			return 0, fmt.Errorf("commit: %w", err)
		}
		if mode == catalog.WriteOverwrite || attempt == commitAttempts {
			c.discard(datasetID, tracked, 0)
			return 0, fmt.Errorf("commit: %w: %w", ErrConflict, err)
		}
		// An append goes on top of the new head, with the same data files.
		c.discard(datasetID, tracked, mark)
		tbl = table.New(fresh.Identifier(), fresh.Metadata(), fresh.MetadataLocation(),
			func(context.Context) (icebergio.IO, error) { return tracked, nil }, c.cat)
	}

	snap := committed.CurrentSnapshot()
	if snap == nil {
		return 0, errors.New("commit: no current snapshot after commit")
	}
	c.log.Info("snapshot committed", "dataset", datasetID, "snapshot", snap.SnapshotID,
		"mode", mode, "metadata", committed.MetadataLocation())
	return snap.SnapshotID, nil
}

// CommitOption changes what a commit does besides adding its files.
type CommitOption func(*commitConfig)

type commitConfig struct {
	replaceKey, replaceValue string
}

// Replacing makes an append replace the current data files that earlier
// commits whose summary has key=value added: a new version of a file set
// takes the place of the old one in the same snapshot, so its rows are
// never counted twice. With no such file it is a plain append. An
// overwrite replaces every file anyway.
func Replacing(key, value string) CommitOption {
	return func(c *commitConfig) { c.replaceKey, c.replaceValue = key, value }
}

// commitAttempts bounds how often an append overtaken by other commits is
// tried again.
const commitAttempts = 5

// errStage marks a commit refused while it was being prepared.
var errStage = errors.New("stage")

func conflictOr(err error) error {
	if errors.Is(err, table.ErrCommitFailed) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// commitOnce commits files to tbl as one snapshot, in one transaction.
func commitOnce(ctx context.Context, tbl *table.Table, mode string, files []iceberg.DataFile,
	props iceberg.Properties, cfg commitConfig,
) (*table.Table, error) {
	txn := tbl.NewTransaction()
	if mode == catalog.WriteOverwrite {
		// Fail, rather than replay on a newer snapshot, if another commit
		// gets in first: its files would not be among those replaced.
		if err := txn.AssertRefSnapshotID(""); err != nil {
			return nil, fmt.Errorf("%w: %w", errStage, err)
		}
	}
	if err := stage(ctx, txn, tbl, mode, files, props, cfg); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errStage, mode, err)
	}
	return txn.Commit(ctx)
}

// overtaken reports whether fresh's head moved on from the snapshot base
// was read at, to snapshots none of which is our attempt's (ours lists the
// files the attempt wrote).
func overtaken(base, fresh *table.Table, ours []string) bool {
	head := fresh.CurrentSnapshot()
	if head == nil {
		return false
	}
	if old := base.CurrentSnapshot(); old != nil && old.SnapshotID == head.SnapshotID {
		return false
	}
	for _, s := range lineage(fresh) {
		if slices.Contains(ours, s.ManifestList) {
			return false
		}
	}
	return true
}

// discard deletes the files, from the from-th on, that a commit that did
// not happen wrote.
func (c *Catalog) discard(datasetID int64, tracked *trackingIO, from int) {
	if err := tracked.removeFrom(from); err != nil {
		c.log.Warn("could not delete the files of a failed commit",
			"dataset", datasetID, "err", err)
	}
}

// Batches is the rows of a commit, in column batches.
type Batches interface {
	// Next returns the next batch, which has rows, or io.EOF after the
	// last. A batch must stay intact until the second call after the one
	// that returned it (as [ingest.File]'s batches with rows do): the
	// writer reads the next batch while it encodes one.
	Next() (*ingest.Batch, error)
}

// prefetch calls rows.Next on a goroutine of its own, one batch ahead of
// the caller, so that reading (parsing, checking) and encoding overlap on
// a second core. The hand-over is unbuffered: when the goroutine gets to
// refill a batch, two calls later, the caller has taken the batch after
// it and so is done with this one. stop must be called; it returns once
// the goroutine has stopped calling rows.
func prefetch(rows Batches) (next func() (*ingest.Batch, error), stop func()) {
	type result struct {
		b   *ingest.Batch
		err error
	}
	ch := make(chan result)
	quit := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			b, err := rows.Next()
			select {
			case ch <- result{b, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	next = func() (*ingest.Batch, error) {
		r, ok := <-ch
		if !ok {
			return nil, errors.New("tables: batches read after their end")
		}
		return r.b, r.err
	}
	stop = func() {
		close(quit)
		for range ch {
		}
	}
	return next, stop
}

// writeDataFiles streams rows into new Parquet data files of tbl, created
// through fsys, rolling files at the table's target size. The files are
// not yet part of the table.
func writeDataFiles(ctx context.Context, tbl *table.Table, fsys icebergio.WriteFileIO, rows Batches) ([]iceberg.DataFile, error) {
	fields, err := pqFields(tbl.Schema())
	if err != nil {
		return nil, err
	}
	props := tbl.Properties()
	rowGroup := int64(props.GetInt(table.ParquetRowGroupSizeBytesKey, defaultRowGroupBytes))
	target := int64(props.GetInt(table.WriteTargetFileSizeBytesKey, defaultTargetFileBytes))
	codecName := props.Get(table.ParquetCompressionKey, table.ParquetCompressionDefault)
	codec, ok := codecs[codecName]
	if !ok {
		return nil, fmt.Errorf("the table's %s is %q; inlet writes snappy, zstd or uncompressed",
			table.ParquetCompressionKey, codecName)
	}
	locs, err := tbl.LocationProvider()
	if err != nil {
		return nil, err
	}
	schemaJSON, err := json.Marshal(tbl.Schema())
	if err != nil {
		return nil, err
	}
	kv := []format.KeyValue{{Key: "iceberg.schema", Value: string(schemaJSON)}}
	prefix := uuid.NewString()
	next, stop := prefetch(rows)
	defer stop()

	var (
		files []iceberg.DataFile
		cur   *pqWriter
		path  string
	)
	finish := func() error {
		w := cur
		cur = nil
		if err := w.close(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		df, err := w.dataFile(tbl.Spec(), path)
		if err != nil {
			return err
		}
		files = append(files, df)
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			if cur != nil {
				cur.abort()
			}
			return nil, err
		}
		b, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil && b.Rows > 0 && cur == nil {
			path = locs.NewDataLocation(fmt.Sprintf("%05d-0-%s.parquet", len(files), prefix))
			var f io.WriteCloser
			if f, err = fsys.Create(path); err == nil {
				if cur, err = newPQWriter(f, fields, codec, rowGroup, kv); err != nil {
					f.Close()
				}
			}
		}
		if err == nil && b.Rows > 0 {
			if err = cur.write(b); err == nil && cur.size() >= target {
				err = finish()
			}
		}
		if err != nil {
			if cur != nil {
				cur.abort()
			}
			return nil, err
		}
	}
	if cur != nil {
		if err := finish(); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// stage adds the snapshot of one commit to txn: files are added (append) or
// replace every data file of the current snapshot (overwrite). A commit
// with no file still makes a snapshot, which records the file set.
func stage(ctx context.Context, txn *table.Transaction, tbl *table.Table, mode string,
	files []iceberg.DataFile, props iceberg.Properties, cfg commitConfig,
) error {
	var current []iceberg.DataFile
	switch {
	case tbl.CurrentSnapshot() == nil:
	case mode == catalog.WriteOverwrite:
		tasks, err := tbl.Scan().PlanFiles(ctx)
		if err != nil {
			return fmt.Errorf("list current files: %w", err)
		}
		for _, t := range tasks {
			current = append(current, t.File)
		}
	case cfg.replaceKey != "":
		var err error
		if current, err = filesAddedBy(tbl, cfg.replaceKey, cfg.replaceValue); err != nil {
			return fmt.Errorf("list the files to replace: %w", err)
		}
	}
	switch {
	case len(current) > 0:
		return txn.ReplaceDataFilesWithDataFiles(ctx, current, files, props)
	case len(files) > 0:
		// The files are new (their names hold a fresh UUID): no need to
		// read every manifest to look for them.
		return txn.AddDataFiles(ctx, files, props, table.WithoutDuplicateCheck())
	default:
		return txn.AddFiles(ctx, nil, props, false)
	}
}

// filesAddedBy returns the current data files of tbl that were added by a
// snapshot whose summary has key=value. A manifest entry keeps the id of
// the snapshot that added its file, also when later commits carry it over.
func filesAddedBy(tbl *table.Table, key, value string) ([]iceberg.DataFile, error) {
	fsys, err := tbl.FS(context.Background())
	if err != nil {
		return nil, err
	}
	manifests, err := tbl.CurrentSnapshot().Manifests(fsys)
	if err != nil {
		return nil, err
	}
	added := map[int64]bool{}
	for _, s := range lineage(tbl) {
		if s.Summary != nil && s.Summary.Properties[key] == value {
			added[s.SnapshotID] = true
		}
	}
	var out []iceberg.DataFile
	for _, m := range manifests {
		if m.ManifestContent() != iceberg.ManifestContentData {
			continue
		}
		entries, err := m.FetchEntries(fsys, true)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if added[e.SnapshotID()] {
				out = append(out, e.DataFile())
			}
		}
	}
	return out, nil
}

// CommittedFileSet finds the snapshot, among the current snapshot and its
// ancestors, whose summary has key=value (e.g. "inlet.file-set" and the
// folder): a file set found there is held by the table (for an overwrite,
// it was at least once). ok is false if there is none.
func (c *Catalog) CommittedFileSet(ctx context.Context, datasetID int64, key, value string) (snapshotID int64, ok bool, err error) {
	tbl, err := c.load(ctx, datasetID)
	if err != nil {
		return 0, false, fmt.Errorf("committed file set: %w", err)
	}
	for _, s := range lineage(tbl) {
		if s.Summary == nil {
			continue
		}
		if v, has := s.Summary.Properties[key]; has && v == value {
			return s.SnapshotID, true, nil
		}
	}
	return 0, false, nil
}

// Snapshots returns the current snapshot and its ancestors, oldest first:
// the table's history as readers see it (a snapshot rolled back from is
// not included).
func (c *Catalog) Snapshots(ctx context.Context, datasetID int64) ([]Snapshot, error) {
	tbl, err := c.load(ctx, datasetID)
	if err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	snaps := lineage(tbl)
	out := make([]Snapshot, 0, len(snaps))
	for _, s := range slices.Backward(snaps) {
		v := Snapshot{
			ID:        s.SnapshotID,
			Sequence:  s.SequenceNumber,
			Timestamp: time.UnixMilli(s.TimestampMs).UTC(),
			Summary:   map[string]string{},
		}
		if s.ParentSnapshotID != nil {
			v.ParentID = *s.ParentSnapshotID
		}
		if s.Summary != nil {
			v.Operation = string(s.Summary.Operation)
			maps.Copy(v.Summary, s.Summary.Properties)
		}
		out = append(out, v)
	}
	return out, nil
}

// lineage returns the current snapshot and its ancestors, newest first.
func lineage(tbl *table.Table) []table.Snapshot {
	cur := tbl.CurrentSnapshot()
	if cur == nil {
		return nil
	}
	return table.AncestorsOf(cur.SnapshotID, tbl.SnapshotByID)
}

// trackingIO records the files a transaction creates, so that a commit
// that fails before reaching the catalog can delete them. iceberg-go
// removes the file it is writing when a write fails, but not the files
// it had already finished.
type trackingIO struct {
	icebergio.WriteFileIO

	mu      sync.Mutex
	created []string
}

func (t *trackingIO) record(name string) {
	t.mu.Lock()
	t.created = append(t.created, name)
	t.mu.Unlock()
}

func (t *trackingIO) paths() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.created)
}

// Create creates name and records it. A local file is made durable when
// it is closed (synced, with its directory), so that the catalog never
// points at table files a power cut could lose.
func (t *trackingIO) Create(name string) (icebergio.FileWriter, error) {
	t.record(name)
	f, err := t.WriteFileIO.Create(name)
	if err != nil {
		return nil, err
	}
	if osf, ok := f.(*os.File); ok {
		return &durableFile{File: osf}, nil
	}
	return f, nil
}

// WriteFile writes name, durably if it is local, and records it.
func (t *trackingIO) WriteFile(name string, p []byte) error {
	f, err := t.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(p); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// durableFile syncs a new file and its directory when it is closed.
type durableFile struct{ *os.File }

func (f *durableFile) Close() error {
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(f.File.Name()))
}

// ReadFile reads name whole, through the wrapped IO's ReadFile if it has
// one.
func (t *trackingIO) ReadFile(name string) ([]byte, error) {
	if r, ok := t.WriteFileIO.(icebergio.ReadFileIO); ok {
		return r.ReadFile(name)
	}
	f, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// removeFrom deletes the recorded files from the from-th on; one already
// gone is no error.
func (t *trackingIO) removeFrom(from int) error {
	var errs []error
	for _, p := range t.paths()[from:] {
		if err := t.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
