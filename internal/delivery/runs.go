package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"inlet/internal/ingest"
	"inlet/internal/meta"
)

// Run statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCommitted = "committed"
	StatusFailed    = "failed"
)

// Errors.
var (
	ErrNotFound        = errors.New("delivery: not found")
	ErrAlreadyIngested = errors.New("delivery: file set already ingested")
	ErrInProgress      = errors.New("delivery: file set is being ingested")
	ErrFailedUnchanged = errors.New("delivery: file set failed and has not changed since")

	// A write into a folder (a "changed-file" trigger) that is not taken.
	errNotHandedOver  = errors.New("delivery: folder not handed over by its _SUCCESS yet")
	errOverwriteStray = errors.New("delivery: write into an older folder of an overwrite dataset")
)

// Run is one ingestion of a file set.
type Run struct {
	ID        int64  `json:"id"`
	TenantID  int64  `json:"tenant_id"`
	DatasetID int64  `json:"dataset_id"`
	SourceID  int64  `json:"source_id"`
	Bucket    string `json:"bucket"`
	Folder    string `json:"folder"`
	Trigger   string `json:"trigger"` // success-file, api
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`

	FilesTotal   int   `json:"files_total"`
	FilesDone    int   `json:"files_done"`
	BytesTotal   int64 `json:"bytes_total"`
	BytesDone    int64 `json:"bytes_done"`
	RowsAccepted int64 `json:"rows_accepted"`
	RowsRejected int64 `json:"rows_rejected"`

	SnapshotID int64 `json:"snapshot_id,string,omitempty"`
	// Version identifies the file set's content the run read: a digest of
	// its files' names and ETags. A file set is ingested again only when
	// its content changes.
	Version string `json:"version,omitempty"`
	// Replaces is the committed run of the same folder whose rows this
	// run's snapshot replaces (a new version of the file set); 0 if none.
	Replaces int64 `json:"replaces,omitempty"`
	// Duplicates counts the triggers (a _SUCCESS written again, a replayed
	// event, an API call) that found this committed run's content
	// unchanged and so ingested nothing.
	Duplicates int `json:"duplicates,omitempty"`
	// Warnings are what the run noticed about the whole file set.
	Warnings        []string         `json:"warnings,omitempty"`
	LastDuplicateAt *time.Time       `json:"last_duplicate_at,omitempty"`
	Files           []ingest.Summary `json:"files,omitempty"`
	ReceiptKey      string           `json:"receipt_key,omitempty"`

	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// FileSet returns the run's file set.
func (r Run) FileSet() FileSet {
	return FileSet{Bucket: r.Bucket, DatasetID: r.DatasetID, Folder: r.Folder}
}

var migrations = []string{
	`CREATE TABLE delivery_runs (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		tenant_id INTEGER NOT NULL,
		dataset_id INTEGER NOT NULL,
		source_id INTEGER NOT NULL,
		bucket TEXT NOT NULL,
		folder TEXT NOT NULL,
		status TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		state TEXT NOT NULL
	)`,
	`CREATE INDEX delivery_runs_fileset ON delivery_runs (bucket, dataset_id, folder)`,
	`CREATE INDEX delivery_runs_dataset ON delivery_runs (tenant_id, dataset_id, id)`,
	// Every file a committed run read, by content, to tell a partner when
	// a file repeats one already ingested under another name.
	`CREATE TABLE delivery_files (
		dataset_id INTEGER NOT NULL,
		etag TEXT NOT NULL,
		key TEXT NOT NULL,
		run_id INTEGER NOT NULL,
		PRIMARY KEY (dataset_id, etag, key)
	) WITHOUT ROWID`,
	`INSERT OR IGNORE INTO delivery_files (dataset_id, etag, key, run_id)
		SELECT r.dataset_id, json_extract(f.value, '$.etag'),
			'` + DeliveryPrefix + `datasetId=' || r.dataset_id || '/' || r.folder || '/' || json_extract(f.value, '$.file'), r.id
		FROM delivery_runs r, json_each(r.state, '$.files') f
		WHERE r.status = 'committed' AND coalesce(json_extract(f.value, '$.etag'), '') != ''`,
}

// runStore keeps runs in the metadata database: the searchable columns
// plus the whole run as JSON.
type runStore struct{ db *meta.DB }

func (s runStore) insert(ctx context.Context, r *Run) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *meta.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO delivery_runs
			(tenant_id, dataset_id, source_id, bucket, folder, status, created_at, state)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.TenantID, r.DatasetID, r.SourceID, r.Bucket, r.Folder, r.Status, r.CreatedAt.UnixMilli(), string(b))
		if err != nil {
			return err
		}
		r.ID, err = res.LastInsertId()
		return err
	})
}

func (s runStore) update(ctx context.Context, r *Run) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *meta.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE delivery_runs SET status = ?, state = ? WHERE id = ?`, r.Status, string(b), r.ID)
		return err
	})
}

func scanRuns(rows *sql.Rows) ([]Run, error) {
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var id int64
		var state string
		if err := rows.Scan(&id, &state); err != nil {
			return nil, err
		}
		var r Run
		if err := json.Unmarshal([]byte(state), &r); err != nil {
			return nil, fmt.Errorf("decode run %d: %w", id, err)
		}
		r.ID = id
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s runStore) get(ctx context.Context, tenantID, id int64) (Run, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT id, state FROM delivery_runs WHERE id = ? AND tenant_id = ?`, id, tenantID)
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

func (s runStore) list(ctx context.Context, tenantID, datasetID int64, limit int) ([]Run, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT id, state FROM delivery_runs
		WHERE tenant_id = ? AND dataset_id = ? ORDER BY id DESC LIMIT ?`, tenantID, datasetID, limit)
	if err != nil {
		return nil, err
	}
	return scanRuns(rows)
}

// forFileSet returns the runs of a file set, newest first.
func (s runStore) forFileSet(ctx context.Context, fs FileSet) ([]Run, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT id, state FROM delivery_runs
		WHERE bucket = ? AND dataset_id = ? AND folder = ? ORDER BY id DESC`, fs.Bucket, fs.DatasetID, fs.Folder)
	if err != nil {
		return nil, err
	}
	return scanRuns(rows)
}

// recordFiles indexes the files a committed run read by their content.
func (s runStore) recordFiles(ctx context.Context, r *Run) error {
	prefix := r.FileSet().Prefix()
	return s.db.Write(ctx, func(tx *meta.Tx) error {
		for _, f := range r.Files {
			if f.ETag == "" {
				continue
			}
			_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO delivery_files (dataset_id, etag, key, run_id)
				VALUES (?, ?, ?, ?)`, r.DatasetID, f.ETag, prefix+f.File, r.ID)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// keysWithContent returns the keys of a dataset's ingested files that had
// the given ETag, in key order.
func (s runStore) keysWithContent(ctx context.Context, datasetID int64, etag string) ([]string, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT key FROM delivery_files
		WHERE dataset_id = ? AND etag = ? ORDER BY key`, datasetID, etag)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// unfinished returns the queued and running runs, oldest first.
func (s runStore) unfinished(ctx context.Context) ([]Run, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT id, state FROM delivery_runs
		WHERE status IN ('queued', 'running') ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanRuns(rows)
}
