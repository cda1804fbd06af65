package delivery

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
	"inlet/internal/tables"
)

// process runs one queued run to its end: committed or failed.
func (r *Runner) process(ctx context.Context, id int64) {
	run, err := r.runByID(ctx, id)
	if err != nil {
		r.log.Error("load ingestion run", "run_id", id, "error", err)
		return
	}
	defer func() {
		key := run.FileSet().Key()
		r.mu.Lock()
		delete(r.pending, key)
		again := r.recheck[key]
		delete(r.recheck, key)
		r.mu.Unlock()
		if again && ctx.Err() == nil {
			// Written to while this run read it: compare what is there now
			// with what the run read.
			go r.triggerFromEvent(run.FileSet(), run.FileSet().Prefix(), "recheck")
		}
	}()
	if run.Status != StatusQueued && run.Status != StatusRunning {
		return
	}
	log := r.log.With("run_id", run.ID, "bucket", run.Bucket, "dataset", run.DatasetID, "folder", run.Folder)
	start := r.cfg.Now().UTC()

	// A crash after the commit and before the run was marked leaves the
	// snapshot in the table: the table says what it holds.
	if snap, ok, err := r.cfg.Tables.CommittedFileSet(ctx, run.DatasetID, SummaryRunID, strconv.FormatInt(run.ID, 10)); err == nil && ok {
		run.Status, run.SnapshotID = StatusCommitted, snap
		if run.Version == "" {
			run.Version = version(run.read())
		}
		r.finish(ctx, &run)
		log.Info("file set was committed before a restart", "snapshot", snap)
		return
	}

	run.Status, run.StartedAt = StatusRunning, &start
	run.Error, run.Files, run.RowsAccepted, run.RowsRejected, run.FilesDone, run.BytesDone = "", nil, 0, 0, 0, 0
	run.Warnings = nil
	if err := r.runs.update(ctx, &run); err != nil {
		log.Error("mark run running", "error", err)
		return
	}
	err = r.ingest(ctx, &run, log)
	if ctx.Err() != nil {
		// Shutting down: the run stays running and resumes at the next start.
		log.Info("ingestion interrupted by shutdown; it resumes at the next start")
		return
	}
	if err != nil {
		run.Status, run.Error = StatusFailed, err.Error()
		log.Warn("file set rejected", "error", err, "rows_accepted", run.RowsAccepted, "rows_rejected", run.RowsRejected)
	} else {
		run.Status = StatusCommitted
		log.Info("file set ingested", "snapshot", run.SnapshotID, "rows", run.RowsAccepted,
			"rejected", run.RowsRejected, "files", run.FilesTotal,
			"duration_ms", time.Since(start).Milliseconds())
	}
	r.finish(ctx, &run)
}

func (r *Runner) runByID(ctx context.Context, id int64) (Run, error) {
	rows, err := r.cfg.DB.SQL().QueryContext(ctx, `SELECT id, state FROM delivery_runs WHERE id = ?`, id)
	if err != nil {
		return Run{}, err
	}
	rs, err := scanRuns(rows)
	if err != nil {
		return Run{}, err
	}
	if len(rs) == 0 {
		return Run{}, ErrNotFound
	}
	return rs[0], nil
}

// finish records the outcome and writes the receipt.
func (r *Runner) finish(ctx context.Context, run *Run) {
	now := r.cfg.Now().UTC()
	run.FinishedAt = &now
	r.writeReceipt(ctx, run)
	if err := r.runs.update(ctx, run); err != nil {
		r.log.Error("record run outcome", "run_id", run.ID, "error", err)
	}
	if run.Status == StatusCommitted {
		if err := r.runs.recordFiles(ctx, run); err != nil {
			r.log.Warn("index the run's files by content", "run_id", run.ID, "error", err)
		}
	}
}

// ingest reads every file of the run's file set and commits the accepted
// rows as one snapshot.
func (r *Runner) ingest(ctx context.Context, run *Run, log interface{ Info(string, ...any) }) error {
	ds, err := r.cfg.Catalog.GetDataset(ctx, run.TenantID, run.DatasetID)
	if err != nil {
		return fmt.Errorf("dataset %d does not exist or does not belong to this source's tenant", run.DatasetID)
	}
	files, err := r.listFiles(ctx, run.FileSet())
	if err != nil {
		return fmt.Errorf("list the file set: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("the folder %s holds no file besides %s (names starting with _ or . are ignored)", run.FileSet().Prefix(), SuccessFile)
	}
	run.FilesTotal = len(files)
	run.Version = version(files) // as listed; what was read, once it all is
	for _, f := range files {
		run.BytesTotal += f.size
	}
	if err := r.runs.update(ctx, run); err != nil {
		return err
	}
	if _, err := r.cfg.Tables.CreateTable(ctx, ds.ID, ds.Fields); err != nil {
		return fmt.Errorf("open the dataset's table: %w", err)
	}

	rejects, err := os.Create(r.RejectsPath(*run))
	if err != nil {
		return fmt.Errorf("create the rejects report: %w", err)
	}
	defer rejects.Close()
	rr := &fileSetReader{
		ctx: ctx, r: r, run: run, ds: ds, files: files,
		rejects: bufio.NewWriterSize(rejects, 64<<10), lastSave: time.Now(),
		identical: r.identicalContent(ctx, run, files),
	}
	defer rr.closeFile()

	mode := ds.WriteMode
	if mode == "" {
		mode = catalog.WriteAppend
	}
	summary := map[string]string{
		SummaryFileSet:  run.FileSet().Key(),
		SummarySourceID: strconv.FormatInt(run.SourceID, 10),
		SummaryFolder:   run.Folder,
		SummaryRunID:    strconv.FormatInt(run.ID, 10),
	}
	var opts []tables.CommitOption
	if run.Replaces != 0 {
		// A new version of a committed file set takes the old one's place.
		opts = append(opts, tables.Replacing(SummaryFileSet, run.FileSet().Key()))
	}
	rr.summary = summary
	snap, err := r.cfg.Tables.Commit(ctx, ds.ID, rr, mode, summary, opts...)
	rr.closeFile()
	if ferr := rr.rejects.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("write the rejects report: %w", ferr)
	}
	if rr.err != nil {
		return rr.err
	}
	if err != nil {
		return fmt.Errorf("commit the snapshot: %w", err)
	}
	run.SnapshotID = snap
	if mode == catalog.WriteOverwrite && run.RowsAccepted == 0 {
		run.Warnings = append(run.Warnings, "the file set has no rows: as the dataset's write mode is overwrite, the dataset is now empty")
	}
	return nil
}

// version is the content of a file set as its files' names (below the
// folder) and ETags: equal versions are the same delivery.
func version(files []object) string {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b object) int { return strings.Compare(a.name, b.name) })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s\x00%s\n", f.name, f.etag)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// read lists the files the run read, as it recorded them.
func (r Run) read() []object {
	out := make([]object, 0, len(r.Files))
	for _, f := range r.Files {
		out = append(out, object{name: f.File, etag: f.ETag})
	}
	return out
}

// contentVersion is the version of what a committed run read; runs
// recorded before versions existed have it from their files.
func (r Run) contentVersion() string {
	if r.Version != "" {
		return r.Version
	}
	return version(r.read())
}

// identicalContent finds the files of a run whose bytes (by ETag) were
// ingested into the dataset before under another key, or appear twice in
// the run: each gets a warning naming the other key, so that a vendor's
// retry under a new name, counted twice, is visible. Empty files are all
// alike and are left out.
func (r *Runner) identicalContent(ctx context.Context, run *Run, files []object) map[string][]string {
	out := map[string][]string{}
	first := map[string]string{}
	current := make(map[string]string, len(files)) // ETag by key
	for _, f := range files {
		current[f.key] = f.etag
	}
	for _, f := range files {
		if f.size == 0 || f.etag == "" {
			continue
		}
		if other, ok := first[f.etag]; ok {
			out[f.key] = append(out[f.key], fmt.Sprintf("content identical to %s (%s) in this file set", other, f.etag))
			continue
		}
		first[f.etag] = f.key
		keys, err := r.runs.keysWithContent(ctx, run.DatasetID, f.etag)
		if err != nil {
			r.log.Warn("look up files of the same content", "run_id", run.ID, "error", err)
			continue
		}
		for _, k := range keys {
			// A file of this file set with these bytes is warned about
			// above, not as ingested before.
			if k != f.key && current[k] != f.etag {
				out[f.key] = append(out[f.key], fmt.Sprintf("content identical to %s (%s), ingested before", k, f.etag))
			}
		}
	}
	return out
}

type object struct {
	key  string
	name string // below the file set's folder
	size int64
	etag string
}

// listFiles lists the file set's files: every object under its folder but
// those [Ignored] (the _SUCCESS marker, hidden and Hadoop side files) and
// empty folder markers, in key order.
func (r *Runner) listFiles(ctx context.Context, fs FileSet) ([]object, error) {
	prefix := fs.Prefix()
	var out []object
	p := s3.NewListObjectsV2Paginator(r.cfg.S3, &s3.ListObjectsV2Input{Bucket: aws.String(fs.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			if o, ok := fileOf(prefix, o); ok {
				out = append(out, o)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

// fileOf reads a listed object of the folder at prefix; ok is false for
// the objects a file set leaves out.
func fileOf(prefix string, o types.Object) (object, bool) {
	key := aws.ToString(o.Key)
	name, found := strings.CutPrefix(key, prefix)
	if !found || Ignored(name) || strings.HasSuffix(key, "/") && aws.ToInt64(o.Size) == 0 {
		return object{}, false
	}
	return object{key: key, name: name, size: aws.ToInt64(o.Size), etag: strings.Trim(aws.ToString(o.ETag), `"`)}, true
}

// fileSetReader streams a file set's accepted rows in column batches, file
// after file, into the table's writer. It fails the whole commit when a
// file cannot be read or the reject ratio passes the dataset's threshold,
// so that nothing of a refused file set becomes visible.
type fileSetReader struct {
	ctx   context.Context
	r     *Runner
	run   *Run
	ds    catalog.Dataset
	files []object

	idx  int
	body io.ReadCloser
	file *ingest.File
	err  error

	rejects  *bufio.Writer
	lastSave time.Time

	identical map[string][]string // warnings by key (see identicalContent)
	etag      string              // of the current file, as its GET answered
	summary   map[string]string   // the snapshot's summary; the version is added once every file is read
}

// Next returns the next batch of accepted rows, or io.EOF after the last
// file; a refused file set ends in an error instead.
func (f *fileSetReader) Next() (*ingest.Batch, error) {
	for f.err == nil {
		if err := f.ctx.Err(); err != nil {
			f.err = err
			break
		}
		if f.file == nil {
			if f.idx == len(f.files) {
				if f.err = f.checkRatio(); f.err == nil {
					f.run.Version = version(f.run.read())
					f.summary[SummaryVersion] = f.run.Version
					return nil, io.EOF
				}
				break
			}
			if err := f.openFile(f.files[f.idx]); err != nil {
				f.err = err
				break
			}
		}
		b, err := f.file.Next()
		if b != nil {
			f.writeRejects(b.Rejects)
		}
		switch {
		case errors.Is(err, io.EOF):
			f.endFile()
			continue
		case err != nil:
			sum := f.file.Summary()
			f.endFile()
			f.err = fmt.Errorf("file %s: %s", strings.TrimPrefix(sum.File, f.run.FileSet().Prefix()), sum.Reason)
			continue
		}
		f.run.RowsAccepted += int64(b.Rows)
		f.run.RowsRejected += b.RejectedRows()
		f.saveProgress(false)
		if b.Rows == 0 {
			continue
		}
		return b, nil
	}
	return nil, f.err
}

func (f *fileSetReader) openFile(o object) error {
	out, err := f.r.cfg.S3.GetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String(f.run.Bucket), Key: aws.String(o.key)})
	if err != nil {
		return fmt.Errorf("read %s: %w", o.key, err)
	}
	// The version read, which a write since the listing may have changed.
	f.etag = strings.Trim(aws.ToString(out.ETag), `"`)
	file, err := ingest.Open(out.Body, o.key, f.ds.Fields, f.ds.File, ingest.Options{TempDir: f.r.cfg.Dir})
	if err != nil {
		out.Body.Close()
		return fmt.Errorf("open %s: %w", o.key, err)
	}
	f.body, f.file = out.Body, file
	return nil
}

// endFile closes the current file and records its summary.
func (f *fileSetReader) endFile() {
	sum := f.file.Summary()
	prefix := f.run.FileSet().Prefix()
	sum.File = strings.TrimPrefix(sum.File, prefix)
	sum.ETag = f.etag
	if f.etag == f.files[f.idx].etag {
		sum.Warnings = append(sum.Warnings, f.identical[f.files[f.idx].key]...)
	}
	for i := range sum.FirstRejects {
		sum.FirstRejects[i].File = strings.TrimPrefix(sum.FirstRejects[i].File, prefix)
	}
	f.run.Files = append(f.run.Files, sum)
	f.run.FilesDone++
	f.run.BytesDone += f.files[f.idx].size
	f.idx++
	f.closeFile()
	f.saveProgress(true)
}

func (f *fileSetReader) closeFile() {
	if f.file != nil {
		f.file.Close()
		f.file = nil
	}
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
}

// saveProgress records the run's counters at most once a second (or now).
func (f *fileSetReader) saveProgress(now bool) {
	if !now && time.Since(f.lastSave) < time.Second {
		return
	}
	f.lastSave = time.Now()
	if err := f.r.runs.update(f.ctx, f.run); err != nil {
		f.r.log.Warn("record ingestion progress", "run_id", f.run.ID, "error", err)
	}
}

func (f *fileSetReader) writeRejects(rs []ingest.Reject) {
	for _, rj := range rs {
		rj.File = strings.TrimPrefix(rj.File, f.run.FileSet().Prefix())
		b, _ := json.Marshal(rj)
		f.rejects.Write(b)
		f.rejects.WriteByte('\n')
	}
}

// checkRatio fails the file set when too many rows were rejected.
func (f *fileSetReader) checkRatio() error {
	total := f.run.RowsAccepted + f.run.RowsRejected
	if total == 0 || f.run.RowsRejected == 0 {
		return nil
	}
	ratio := float64(f.run.RowsRejected) / float64(total)
	if ratio > f.ds.MaxRejectRatio {
		return fmt.Errorf("%d of %d rows rejected (ratio %.4f) exceeds the dataset's max_reject_ratio %g; nothing of this file set was loaded",
			f.run.RowsRejected, total, ratio, f.ds.MaxRejectRatio)
	}
	return nil
}

// receipt is what a partner reads back from the bucket.
type receipt struct {
	RunID        int64            `json:"run_id"`
	DatasetID    int64            `json:"dataset_id"`
	Folder       string           `json:"folder"`
	Status       string           `json:"status"`
	Error        string           `json:"error,omitempty"`
	SnapshotID   int64            `json:"snapshot_id,string,omitempty"`
	RowsAccepted int64            `json:"rows_accepted"`
	RowsRejected int64            `json:"rows_rejected"`
	Version      string           `json:"version,omitempty"`
	Replaces     int64            `json:"replaces,omitempty"`
	Warnings     []string         `json:"warnings,omitempty"`
	Files        []ingest.Summary `json:"files"`
	FinishedAt   *time.Time       `json:"finished_at,omitempty"`
}

// writeReceipt puts the run's receipt into the bucket, mirroring the
// delivery's path.
func (r *Runner) writeReceipt(ctx context.Context, run *Run) {
	rc := receipt{
		RunID: run.ID, DatasetID: run.DatasetID, Folder: run.Folder, Status: run.Status, Error: run.Error,
		SnapshotID: run.SnapshotID, RowsAccepted: run.RowsAccepted, RowsRejected: run.RowsRejected,
		Version: run.Version, Replaces: run.Replaces, Warnings: run.Warnings, Files: run.Files, FinishedAt: run.FinishedAt,
	}
	if rc.Files == nil {
		rc.Files = []ingest.Summary{}
	}
	body, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return
	}
	key := run.FileSet().ReceiptKey()
	_, err = r.cfg.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(run.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"),
	})
	if err != nil {
		r.log.Warn("write receipt", "run_id", run.ID, "bucket", run.Bucket, "key", key, "error", err)
		return
	}
	run.ReceiptKey = key
}
