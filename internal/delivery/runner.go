// Package delivery turns deliveries in managed buckets into dataset
// snapshots: it notices file sets (a _SUCCESS marker, an explicit trigger,
// or polling), reads their files through the S3 API, checks every row with
// the dataset's schema, commits the accepted rows as one Iceberg snapshot,
// and writes a receipt back into the bucket. Runs are recorded so that a
// file set's content is ingested once (a changed one again, in place of the
// old) and a crash resumes cleanly.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"inlet/internal/catalog"
	"inlet/internal/meta"
	"inlet/internal/tables"
)

// Summary keys of the snapshots inlet commits.
const (
	SummaryFileSet  = "inlet.file-set"
	SummarySourceID = "inlet.source-id"
	SummaryFolder   = "inlet.folder"
	SummaryRunID    = "inlet.run-id"
	SummaryRows     = "inlet.rows"
	// SummaryVersion is the version of the file set's content a snapshot
	// holds (see [Run.Version]).
	SummaryVersion = "inlet.file-set-version"
)

// Config configures a Runner.
type Config struct {
	DB      *meta.DB
	Catalog *catalog.Store
	Tables  *tables.Catalog
	// S3 reads deliveries and writes receipts, with the platform's access.
	S3 *s3.Client
	// Dir keeps the full reject reports (one JSON Lines file per run).
	Dir    string
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ChangeDelay is how long a file written into a folder that was
	// already ingested waits for more writes before the folder is looked
	// at again (a partner re-delivering a folder writes several files);
	// zero means 2 seconds. A _SUCCESS marker does not wait.
	ChangeDelay time.Duration
}

// Runner ingests file sets, one at a time.
type Runner struct {
	cfg   Config
	runs  runStore
	log   *slog.Logger
	queue chan int64
	wg    sync.WaitGroup

	mu      sync.Mutex
	pending map[string]bool        // file-set keys queued or running
	recheck map[string]bool        // file sets written to while a run read them
	changed map[string]*time.Timer // file sets written to after their ingestion, waiting for quiet

	triggerMu sync.Mutex
}

// New prepares the runner's tables; Start runs it.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if err := cfg.DB.Migrate(ctx, "delivery", migrations); err != nil {
		return nil, fmt.Errorf("migrate delivery: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ChangeDelay <= 0 {
		cfg.ChangeDelay = 2 * time.Second
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create rejects dir: %w", err)
	}
	return &Runner{
		cfg: cfg, runs: runStore{cfg.DB}, log: cfg.Logger.With("component", "ingest"),
		queue: make(chan int64, 1024), pending: map[string]bool{},
		recheck: map[string]bool{}, changed: map[string]*time.Timer{},
	}, nil
}

// Start resumes unfinished runs and processes the queue until ctx ends.
func (r *Runner) Start(ctx context.Context) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.resume(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-r.queue:
				r.process(ctx, id)
			}
		}
	}()
}

// Wait blocks until the runner stopped after its context ended.
func (r *Runner) Wait() { r.wg.Wait() }

// resume requeues runs that a crash or shutdown left queued or running; a
// run whose snapshot was committed before the crash is marked so.
func (r *Runner) resume(ctx context.Context) {
	runs, err := r.runs.unfinished(ctx)
	if err != nil {
		r.log.Error("resume ingestion runs", "error", err)
		return
	}
	for _, run := range runs {
		r.log.Info("resuming ingestion run", "run_id", run.ID, "dataset", run.DatasetID, "folder", run.Folder)
		r.enqueue(run)
	}
}

func (r *Runner) enqueue(run Run) {
	r.mu.Lock()
	r.pending[run.FileSet().Key()] = true
	r.mu.Unlock()
	r.queue <- run.ID
}

// ObjectCreated is the embedded cloud's event hand-off. A _SUCCESS marker
// written into a file-set folder triggers its ingestion. Any other file
// written into a folder that was ingested already is a new version of
// that file set: once writes to the folder pause for [Config.ChangeDelay],
// the folder is triggered again, and ingested again if its content
// changed. Other keys are ignored. It does not block the writer.
func (r *Runner) ObjectCreated(bucket, key string) {
	datasetID, folder, name, ok := ParseFileKey(key)
	if !ok {
		if why := misplacedMarker(key); why != "" {
			r.log.Warn("success marker ignored", "bucket", bucket, "key", key, "reason", why)
		}
		return
	}
	fs := FileSet{Bucket: bucket, DatasetID: datasetID, Folder: folder}
	if name == SuccessFile {
		r.stopChangeTimer(fs)
		go r.triggerFromEvent(fs, key, "success-file")
		return
	}
	if Ignored(name) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.changed[fs.Key()]; t != nil {
		t.Reset(r.cfg.ChangeDelay)
		return
	}
	r.changed[fs.Key()] = time.AfterFunc(r.cfg.ChangeDelay, func() {
		r.stopChangeTimer(fs)
		r.triggerFromEvent(fs, key, "changed-file")
	})
}

func (r *Runner) stopChangeTimer(fs FileSet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.changed[fs.Key()]; t != nil {
		t.Stop()
		delete(r.changed, fs.Key())
	}
}

// triggerFromEvent triggers a file set an object event named, and logs
// why not when it is not; trigger decides, a changed file included.
func (r *Runner) triggerFromEvent(fs FileSet, key, trigger string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src, err := r.cfg.Catalog.SourceByBucket(ctx, fs.Bucket)
	if err != nil {
		if trigger != "changed-file" {
			r.log.Warn("file-set event in a bucket that belongs to no source", "bucket", fs.Bucket, "key", key)
		}
		return
	}
	run, err := r.trigger(ctx, src, fs.DatasetID, fs.Folder, trigger, nil)
	switch {
	case errors.Is(err, errNotHandedOver):
	case errors.Is(err, errOverwriteStray):
		r.log.Info("write into an ingested folder of an overwrite dataset: ingested again only when its _SUCCESS is written again",
			"bucket", fs.Bucket, "key", key)
	case errors.Is(err, ErrAlreadyIngested):
		r.log.Info("file set unchanged since its ingestion: not ingested again",
			"bucket", fs.Bucket, "key", key, "duplicate_of_run", run.ID, "version", run.Version)
	case errors.Is(err, ErrFailedUnchanged):
		r.log.Info("file set failed and unchanged since: not ingested again", "bucket", fs.Bucket, "key", key, "run_id", run.ID)
	case err != nil && !errors.Is(err, ErrInProgress):
		r.log.Warn("trigger from an object event", "bucket", fs.Bucket, "key", key, "error", err)
	}
}

// misplacedMarker says why key, a _SUCCESS object under the delivery
// prefix, triggers nothing; "" for any other key, and for a marker that
// triggers. A partner who put the marker one folder too deep, or spelled
// the dataset id another way, then finds the reason in the log.
func misplacedMarker(key string) string {
	if !strings.HasPrefix(key, DeliveryPrefix) || path.Base(key) != SuccessFile {
		return ""
	}
	if _, _, ok := ParseSuccessKey(key); ok {
		return ""
	}
	return "a _SUCCESS marker triggers only directly in a file-set folder, " + DeliveryPrefix +
		"datasetId=ID/FOLDER/_SUCCESS, with ID in digits without a sign or leading zeros"
}

// Trigger queues the ingestion of a file set of a source. A file set
// whose content (its files' names and ETags) is what its last committed
// run read answers ErrAlreadyIngested with that run; one queued or running
// answers ErrInProgress. A committed file set whose content changed since
// is a new version: its run's snapshot replaces the rows of the old one.
func (r *Runner) Trigger(ctx context.Context, src catalog.Source, datasetID int64, folder, trigger string) (Run, error) {
	return r.trigger(ctx, src, datasetID, folder, trigger, nil)
}

// trigger is Trigger with the folder's files when the caller listed them
// already (a poll); nil lists them if needed.
func (r *Runner) trigger(ctx context.Context, src catalog.Source, datasetID int64, folder, trigger string, listed []object) (Run, error) {
	if err := ValidateFolder(folder); err != nil {
		return Run{}, err
	}
	fs := FileSet{Bucket: src.Bucket, DatasetID: datasetID, Folder: folder}
	// Events, polls and API calls may race for one file set; checking for
	// earlier runs and recording the new one happen under one lock.
	r.triggerMu.Lock()
	defer r.triggerMu.Unlock()
	prior, err := r.runs.forFileSet(ctx, fs)
	if err != nil {
		return Run{}, err
	}
	// last is the newest committed run; failed, a failed run newer than it.
	var last, failed *Run
	for _, p := range prior {
		switch p.Status {
		case StatusQueued:
			// It lists the folder when it starts, after this trigger's writes.
			return p, ErrInProgress
		case StatusRunning:
			// It may have listed the folder before this trigger's writes:
			// look again when it ends.
			r.mu.Lock()
			r.recheck[fs.Key()] = true
			r.mu.Unlock()
			return p, ErrInProgress
		case StatusCommitted:
			if last == nil {
				last = &p
			}
		case StatusFailed:
			if last == nil && failed == nil {
				failed = &p
			}
		}
	}
	if trigger == "changed-file" {
		// A folder is handed over by its _SUCCESS: a write into one not
		// handed over yet, or whose runs failed, waits for it.
		if last == nil {
			return Run{}, errNotHandedOver
		}
		// An overwrite dataset holds the latest delivery: a stray write
		// into an older folder must not bring it back. Its _SUCCESS
		// written again does.
		if ds, err := r.cfg.Catalog.GetDataset(ctx, src.TenantID, datasetID); err == nil && ds.WriteMode == catalog.WriteOverwrite {
			return *last, errOverwriteStray
		}
	}
	// A partner or tenant may retry a failed file set as it is (after the
	// dataset's threshold was raised, say); a poll or the runner's own
	// second look only a changed one, or it would fail it again each time.
	automatic := trigger == "poll" || trigger == "recheck"
	if listed == nil && (last != nil || failed != nil && automatic) {
		if listed, err = r.listFiles(ctx, fs); err != nil {
			return Run{}, fmt.Errorf("list the file set: %w", err)
		}
	}
	current := ""
	if listed != nil {
		current = version(listed)
	}
	if last != nil && current == last.contentVersion() {
		r.noteDuplicate(ctx, last, trigger)
		return *last, ErrAlreadyIngested
	}
	if failed != nil && automatic && failed.Version != "" && current == failed.Version {
		return *failed, ErrFailedUnchanged
	}
	run := Run{
		TenantID: src.TenantID, DatasetID: datasetID, SourceID: src.ID, Bucket: src.Bucket, Folder: folder,
		Trigger: trigger, Status: StatusQueued, CreatedAt: r.cfg.Now().UTC(), Version: current,
	}
	if last != nil {
		run.Replaces = last.ID
	}
	// A file set whose dataset is not the source tenant's is refused, with
	// the reason in the receipt, as a failed run.
	if _, err := r.cfg.Catalog.GetDataset(ctx, src.TenantID, datasetID); err != nil {
		run.Status = StatusFailed
		run.Error = fmt.Sprintf("dataset %d does not exist or does not belong to this source's tenant", datasetID)
		now := r.cfg.Now().UTC()
		run.FinishedAt = &now
		if err := r.runs.insert(ctx, &run); err != nil {
			return Run{}, err
		}
		r.writeReceipt(ctx, &run)
		return run, nil
	}
	if err := r.runs.insert(ctx, &run); err != nil {
		return Run{}, err
	}
	r.log.Info("file set queued", "run_id", run.ID, "bucket", run.Bucket, "dataset", datasetID, "folder", folder,
		"trigger", trigger, "replaces_run", run.Replaces)
	r.enqueue(run)
	return run, nil
}

// noteDuplicate records on a committed run that a trigger found its
// content unchanged. Polls and the runner's own second looks see the same
// objects by design and are not counted.
func (r *Runner) noteDuplicate(ctx context.Context, run *Run, trigger string) {
	if trigger == "poll" || trigger == "recheck" {
		return
	}
	now := r.cfg.Now().UTC()
	run.Duplicates++
	run.LastDuplicateAt = &now
	if err := r.runs.update(ctx, run); err != nil {
		r.log.Warn("record a duplicate delivery", "run_id", run.ID, "error", err)
	}
}

// Get returns a run of a tenant.
func (r *Runner) Get(ctx context.Context, tenantID, id int64) (Run, error) {
	return r.runs.get(ctx, tenantID, id)
}

// List returns a dataset's newest runs.
func (r *Runner) List(ctx context.Context, tenantID, datasetID int64, limit int) ([]Run, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return r.runs.list(ctx, tenantID, datasetID, limit)
}

// RejectsPath is the full reject report of a run (JSON Lines), which may
// not exist when the run rejected nothing.
func (r *Runner) RejectsPath(run Run) string {
	return filepath.Join(r.cfg.Dir, fmt.Sprintf("run-%d.rejects.jsonl", run.ID))
}
