package delivery_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"inlet/internal/catalog"
	"inlet/internal/cloud"
	"inlet/internal/credfile"
	"inlet/internal/delivery"
	"inlet/internal/ingest"
	"inlet/internal/meta"
	"inlet/internal/tables"
)

// casesDir holds the shared case inputs, beside the repository.
var casesDir = filepath.Join("..", "..", "testdata", "cases", "inputs")

// waitLimit bounds every wait for a run.
const waitLimit = 30 * time.Second

// env is an embedded cloud on loopback sharing one metadata database with
// the catalog, the tables and the delivery runner, as inlet serve wires
// them: a write into a bucket reaches the runner through the cloud's
// object-created hook.
type env struct {
	t      *testing.T
	dir    string
	db     *meta.DB
	cat    *catalog.Store
	tbl    *tables.Catalog
	s3     *s3.Client
	hook   atomic.Pointer[delivery.Runner]
	tenant catalog.Tenant
	src    catalog.Source
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, dir: t.TempDir()}
	var err error
	e.db, err = meta.Open(ctx, filepath.Join(e.dir, "meta.db"), nil)
	if err != nil {
		t.Fatalf("meta.Open: %v", err)
	}
	t.Cleanup(func() { e.db.Close() })
	c, err := cloud.Open(ctx, cloud.Options{
		DataDir: e.dir, DB: e.db, Logger: slog.New(slog.DiscardHandler),
		ObjectCreated: func(bucket, key string) {
			if r := e.hook.Load(); r != nil {
				r.ObjectCreated(bucket, key)
			}
		},
	})
	if err != nil {
		t.Fatalf("cloud.Open: %v", err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	id, secret := readCredentials(t, c.CredentialsPath())
	e.s3 = s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	if e.cat, err = catalog.Open(ctx, e.db); err != nil {
		t.Fatalf("catalog.Open: %v", err)
	}
	if e.tbl, err = tables.Open(ctx, e.db.SQL(), filepath.Join(e.dir, "warehouse"), nil); err != nil {
		t.Fatalf("tables.Open: %v", err)
	}
	t.Cleanup(func() { e.tbl.Close() })
	e.tenant, e.src = e.newTenant("acme")
	return e
}

// newTenant creates a tenant with a bucket and a source owning it.
func (e *env) newTenant(name string) (catalog.Tenant, catalog.Source) {
	e.t.Helper()
	ctx := context.Background()
	tn, err := e.cat.CreateTenant(ctx, name)
	if err != nil {
		e.t.Fatalf("CreateTenant: %v", err)
	}
	bucket := "inlet-" + name + "-deliveries"
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		e.t.Fatalf("CreateBucket: %v", err)
	}
	src, err := e.cat.CreateSource(ctx, catalog.Source{
		TenantID: tn.ID, AWSAccountID: "222222222222", ResourceID: name + "-partner",
		AccessType: catalog.AccessBucketPolicy, Bucket: bucket, Region: "us-east-1",
	})
	if err != nil {
		e.t.Fatalf("CreateSource: %v", err)
	}
	src.Status = catalog.StatusActive
	if src, err = e.cat.UpdateSource(ctx, src); err != nil {
		e.t.Fatalf("UpdateSource: %v", err)
	}
	return tn, src
}

// newRunner makes a runner over the env's database; started, it runs until
// the returned stop is called (also at cleanup) and hears the cloud's
// events.
func (e *env) newRunner(start bool) (*delivery.Runner, func()) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := delivery.New(ctx, delivery.Config{
		DB: e.db, Catalog: e.cat, Tables: e.tbl, S3: e.s3, Dir: filepath.Join(e.dir, "ingest"),
		ChangeDelay: changeDelay,
	})
	if err != nil {
		cancel()
		e.t.Fatalf("delivery.New: %v", err)
	}
	if !start {
		return r, cancel
	}
	r.Start(ctx)
	e.hook.Store(r)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			e.hook.CompareAndSwap(r, nil)
			cancel()
			r.Wait()
		})
	}
	e.t.Cleanup(stop)
	return r, stop
}

func (e *env) dataset(tenantID int64, spec catalog.DatasetSpec) catalog.Dataset {
	e.t.Helper()
	ds, err := e.cat.CreateDataset(context.Background(), tenantID, spec)
	if err != nil {
		e.t.Fatalf("CreateDataset: %v", err)
	}
	return ds
}

func prefix(datasetID int64, folder string) string {
	return delivery.FileSet{DatasetID: datasetID, Folder: folder}.Prefix()
}

func (e *env) put(bucket, key string, body []byte) {
	e.t.Helper()
	_, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		e.t.Fatalf("PutObject %s: %v", key, err)
	}
}

// file is one delivered file.
type file struct {
	name string
	body []byte
}

// upload puts the files of a file set, without the _SUCCESS marker.
func (e *env) upload(datasetID int64, folder string, files ...file) {
	e.t.Helper()
	for _, f := range files {
		e.put(e.src.Bucket, prefix(datasetID, folder)+f.name, f.body)
	}
}

// deliver uploads a file set and then its _SUCCESS marker, as a partner
// does; the marker's event triggers the ingestion.
func (e *env) deliver(datasetID int64, folder string, files ...file) {
	e.t.Helper()
	e.upload(datasetID, folder, files...)
	e.put(e.src.Bucket, prefix(datasetID, folder)+delivery.SuccessFile, nil)
}

// runsOf lists the runs of a folder, newest first.
func runsOf(t *testing.T, r *delivery.Runner, tenantID, datasetID int64, folder string) []delivery.Run {
	t.Helper()
	all, err := r.List(context.Background(), tenantID, datasetID, 1000)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var out []delivery.Run
	for _, run := range all {
		if run.Folder == folder {
			out = append(out, run)
		}
	}
	return out
}

func finished(run delivery.Run) bool {
	return run.Status == delivery.StatusCommitted || run.Status == delivery.StatusFailed
}

// waitRun waits until the newest run of a folder is committed or failed.
func waitRun(t *testing.T, r *delivery.Runner, tenantID, datasetID int64, folder string) delivery.Run {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		runs := runsOf(t, r, tenantID, datasetID, folder)
		if len(runs) > 0 && finished(runs[0]) {
			return runs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("folder %s of dataset %d: no finished run after %v; runs %+v", folder, datasetID, waitLimit, runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitID waits until the run id is committed or failed.
func waitID(t *testing.T, r *delivery.Runner, tenantID, id int64) delivery.Run {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		run, err := r.Get(context.Background(), tenantID, id)
		if err != nil {
			t.Fatalf("Get run %d: %v", id, err)
		}
		if finished(run) {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d not finished after %v: %+v", id, waitLimit, run)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func wantStatus(t *testing.T, run delivery.Run, status string) {
	t.Helper()
	if run.Status != status {
		t.Fatalf("run %d of %s: status %q (error %q); want %q", run.ID, run.Folder, run.Status, run.Error, status)
	}
}

// receiptDoc is the receipt a partner reads from the bucket.
type receiptDoc struct {
	RunID        int64            `json:"run_id"`
	DatasetID    int64            `json:"dataset_id"`
	Folder       string           `json:"folder"`
	Status       string           `json:"status"`
	Error        string           `json:"error"`
	SnapshotID   int64            `json:"snapshot_id,string"`
	RowsAccepted int64            `json:"rows_accepted"`
	RowsRejected int64            `json:"rows_rejected"`
	Warnings     []string         `json:"warnings"`
	Files        []ingest.Summary `json:"files"`
}

// receipt reads the receipt of a folder from the source's bucket, waiting
// for it a little: a run refused at the trigger is recorded before its
// receipt is written.
func (e *env) receipt(bucket string, datasetID int64, folder string) receiptDoc {
	e.t.Helper()
	key := delivery.FileSet{Bucket: bucket, DatasetID: datasetID, Folder: folder}.ReceiptKey()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := e.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				e.t.Fatalf("read receipt: %v", err)
			}
			var rc receiptDoc
			if err := json.Unmarshal(b, &rc); err != nil {
				e.t.Fatalf("receipt %s is not JSON: %v\n%s", key, err, b)
			}
			return rc
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no receipt at %s: %v", key, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rows returns the dataset's visible rows, sorted by their printed form so
// that file order does not matter.
func (e *env) rows(datasetID int64) [][]any {
	e.t.Helper()
	_, rows, err := e.tbl.Scan(context.Background(), datasetID, -1, 0)
	if errors.Is(err, tables.ErrNoSuchTable) {
		return nil
	}
	if err != nil {
		e.t.Fatalf("Scan: %v", err)
	}
	return sortRows(rows)
}

func sortRows(rows [][]any) [][]any {
	slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(fmt.Sprint(a...), fmt.Sprint(b...)) })
	if len(rows) == 0 {
		return nil
	}
	return rows
}

func wantRows(t *testing.T, got, want [][]any) {
	t.Helper()
	want = sortRows(slices.Clone(want))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows =\n%v\nwant\n%v", got, want)
	}
}

func (e *env) snapshots(datasetID int64) []tables.Snapshot {
	e.t.Helper()
	snaps, err := e.tbl.Snapshots(context.Background(), datasetID)
	if errors.Is(err, tables.ErrNoSuchTable) {
		return nil
	}
	if err != nil {
		e.t.Fatalf("Snapshots: %v", err)
	}
	return snaps
}

// snapshotsOf returns the snapshots whose summary names the file set.
func (e *env) snapshotsOf(datasetID int64, folder string) []tables.Snapshot {
	e.t.Helper()
	key := delivery.FileSet{Bucket: e.src.Bucket, DatasetID: datasetID, Folder: folder}.Key()
	var out []tables.Snapshot
	for _, s := range e.snapshots(datasetID) {
		if s.Summary[delivery.SummaryFileSet] == key {
			out = append(out, s)
		}
	}
	return out
}

// setRunState rewrites a recorded run as a crash would have left it.
func (e *env) setRunState(id int64, status string, edit func(m map[string]any)) {
	e.t.Helper()
	ctx := context.Background()
	var state string
	if err := e.db.SQL().QueryRowContext(ctx, `SELECT state FROM delivery_runs WHERE id = ?`, id).Scan(&state); err != nil {
		e.t.Fatalf("read run %d: %v", id, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(state), &m); err != nil {
		e.t.Fatal(err)
	}
	m["status"] = status
	edit(m)
	b, _ := json.Marshal(m)
	err := e.db.Write(ctx, func(tx *meta.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE delivery_runs SET status = ?, state = ? WHERE id = ?`, status, string(b), id)
		return err
	})
	if err != nil {
		e.t.Fatalf("rewrite run %d: %v", id, err)
	}
}

func readCredentials(t *testing.T, path string) (id, secret string) {
	t.Helper()
	id, secret, err := credfile.Read(path, "")
	if err != nil {
		t.Fatalf("read credentials: %v", err)
	}
	return id, secret
}

func caseFile(t *testing.T, name string) file {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(casesDir, name))
	if err != nil {
		t.Fatalf("case input: %v", err)
	}
	return file{name: name, body: b}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fileSummary(t *testing.T, files []ingest.Summary, name string) ingest.Summary {
	t.Helper()
	for _, f := range files {
		if f.File == name {
			return f
		}
	}
	t.Fatalf("no summary of %s in %+v", name, files)
	return ingest.Summary{}
}

// ordersSpec is the schema of cases 17, 19 and 23.
func ordersSpec(name string) catalog.DatasetSpec {
	return catalog.DatasetSpec{
		Name: name,
		Fields: []catalog.Field{
			{Name: "id", Type: catalog.TypeLong, Required: true},
			{Name: "name", Type: catalog.TypeString},
			{Name: "amount", Type: catalog.TypeDouble},
		},
		File: catalog.FileConfig{Format: catalog.FormatCSV, Header: true},
	}
}

// TestCSVFileSet: a file set of a plain and a gzipped CSV, handed over by
// its _SUCCESS marker, becomes one snapshot naming the file set, with a
// receipt in the bucket; triggering it again reports the same snapshot.
func TestCSVFileSet(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("orders"))
	const folder = "2025-01-15"
	e.deliver(ds.ID, folder,
		file{"part-1.csv", []byte("id,name,amount\n1,Alice,12.50\n2,Bob,7.00\n")},
		file{"part-2.csv.gz", gzipped(t, []byte("id,name,amount\r\n3,\"Carol, Jr.\",1.25\r\n4,,\r\n"))})

	run := waitRun(t, r, e.tenant.ID, ds.ID, folder)
	wantStatus(t, run, delivery.StatusCommitted)
	if run.RowsAccepted != 4 || run.RowsRejected != 0 || run.FilesTotal != 2 || run.FilesDone != 2 ||
		run.SnapshotID == 0 || run.Trigger != "success-file" || run.SourceID != e.src.ID || run.BytesDone != run.BytesTotal {
		t.Errorf("run = %+v; want 4 rows from 2 files, a snapshot, triggered by the success file", run)
	}
	wantRows(t, e.rows(ds.ID), [][]any{
		{int64(1), "Alice", 12.5}, {int64(2), "Bob", 7.0}, {int64(3), "Carol, Jr.", 1.25}, {int64(4), nil, nil},
	})

	snaps := e.snapshots(ds.ID)
	if len(snaps) != 1 || snaps[0].ID != run.SnapshotID {
		t.Fatalf("snapshots = %+v; want one, %d", snaps, run.SnapshotID)
	}
	fs := delivery.FileSet{Bucket: e.src.Bucket, DatasetID: ds.ID, Folder: folder}
	sum := snaps[0].Summary
	for k, want := range map[string]string{
		delivery.SummaryFileSet:  fs.Key(),
		delivery.SummaryFolder:   folder,
		delivery.SummaryRunID:    strconv.FormatInt(run.ID, 10),
		delivery.SummarySourceID: strconv.FormatInt(e.src.ID, 10),
	} {
		if sum[k] != want {
			t.Errorf("snapshot summary %s = %q; want %q", k, sum[k], want)
		}
	}
	if id, ok, err := e.tbl.CommittedFileSet(context.Background(), ds.ID, delivery.SummaryFileSet, fs.Key()); err != nil || !ok || id != run.SnapshotID {
		t.Errorf("CommittedFileSet = %d, %v, %v; want %d", id, ok, err, run.SnapshotID)
	}

	rc := e.receipt(e.src.Bucket, ds.ID, folder)
	if rc.Status != delivery.StatusCommitted || rc.RunID != run.ID || rc.DatasetID != ds.ID || rc.Folder != folder ||
		rc.SnapshotID != run.SnapshotID || rc.RowsAccepted != 4 || rc.RowsRejected != 0 || len(rc.Files) != 2 {
		t.Errorf("receipt = %+v; want committed, 4 rows, 2 files, snapshot %d", rc, run.SnapshotID)
	}
	if gz := fileSummary(t, rc.Files, "part-2.csv.gz"); gz.Compression != "gzip" || gz.RowsAccepted != 2 || gz.Status != ingest.StatusOK {
		t.Errorf("receipt of part-2.csv.gz = %+v; want gzip, ok, 2 rows", gz)
	}
	if run.ReceiptKey != fs.ReceiptKey() {
		t.Errorf("run receipt key = %q; want %q", run.ReceiptKey, fs.ReceiptKey())
	}

	// The same file set again: refused, naming the snapshot; a second
	// marker starts nothing either.
	again, err := r.Trigger(context.Background(), e.src, ds.ID, folder, "api")
	if !errors.Is(err, delivery.ErrAlreadyIngested) || again.SnapshotID != run.SnapshotID || again.ID != run.ID {
		t.Errorf("Trigger again = %+v, %v; want ErrAlreadyIngested with snapshot %d", again, err, run.SnapshotID)
	}
	e.put(e.src.Bucket, prefix(ds.ID, folder)+delivery.SuccessFile, nil)
	time.Sleep(300 * time.Millisecond)
	if runs := runsOf(t, r, e.tenant.ID, ds.ID, folder); len(runs) != 1 {
		t.Errorf("runs after a second marker = %d; want 1", len(runs))
	}
	if n := len(e.snapshots(ds.ID)); n != 1 {
		t.Errorf("snapshots after a second marker = %d; want 1", n)
	}
}

// TestRejects: bad rows under the dataset's threshold are rejected with
// line, field and reason and the rest commits; above it the whole file
// set fails and nothing of it becomes visible.
func TestRejects(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	min0 := 0.0
	ds := e.dataset(e.tenant.ID, catalog.DatasetSpec{
		Name: "payments",
		Fields: []catalog.Field{
			{Name: "id", Type: catalog.TypeLong, Required: true},
			{Name: "email", Type: catalog.TypeString, Validations: &catalog.Validations{Regex: "^[^@]+@[^@]+$"}},
			{Name: "total", Type: catalog.TypeDouble, Validations: &catalog.Validations{Min: &min0}},
		},
		File:           catalog.FileConfig{Format: catalog.FormatCSV, Header: true},
		MaxRejectRatio: 0.25,
	})

	// 10 rows, 2 bad: ratio 0.2.
	good := "id,email,total\n1,a@x.io,1\nx2,b@x.io,2\n3,c@x.io,3\n4,d@x.io,4\n5,e@x.io,-5\n6,f@x.io,6\n7,g@x.io,7\n8,,8\n9,i@x.io,9\n10,j@x.io,10\n"
	e.deliver(ds.ID, "under", file{"pay.csv", []byte(good)})
	run := waitRun(t, r, e.tenant.ID, ds.ID, "under")
	wantStatus(t, run, delivery.StatusCommitted)
	if run.RowsAccepted != 8 || run.RowsRejected != 2 {
		t.Errorf("run rows = %d accepted, %d rejected; want 8 and 2", run.RowsAccepted, run.RowsRejected)
	}
	want := []ingest.Reject{
		{File: "pay.csv", Line: 3, Field: "id", Value: "x2", Reason: "not an integer"},
		{File: "pay.csv", Line: 6, Field: "total", Value: "-5", Reason: "below min 0"},
	}
	// The first rejects of a file may name it by its key or by its name
	// in the folder.
	firstRejects := func(rs []ingest.Reject) []ingest.Reject {
		out := slices.Clone(rs)
		for i := range out {
			out[i].File = strings.TrimPrefix(out[i].File, prefix(ds.ID, "under"))
		}
		return out
	}
	sum := fileSummary(t, run.Files, "pay.csv")
	if got := firstRejects(sum.FirstRejects); !reflect.DeepEqual(got, want) {
		t.Errorf("run's first rejects =\n%+v\nwant\n%+v", got, want)
	}
	rc := e.receipt(e.src.Bucket, ds.ID, "under")
	if rc.Status != delivery.StatusCommitted || rc.RowsRejected != 2 || len(rc.Files) != 1 || !reflect.DeepEqual(firstRejects(rc.Files[0].FirstRejects), want) {
		t.Errorf("receipt = %+v; want committed with the 2 rejects", rc)
	}
	b, err := os.ReadFile(r.RejectsPath(run))
	if err != nil {
		t.Fatalf("rejects report: %v", err)
	}
	var report []ingest.Reject
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rj ingest.Reject
		if err := json.Unmarshal([]byte(line), &rj); err != nil {
			t.Fatalf("rejects report line %q: %v", line, err)
		}
		report = append(report, rj)
	}
	if !reflect.DeepEqual(report, want) {
		t.Errorf("rejects report =\n%+v\nwant\n%+v", report, want)
	}
	if n := len(e.rows(ds.ID)); n != 8 {
		t.Errorf("visible rows = %d; want 8", n)
	}

	// 4 rows, 2 bad: ratio 0.5, above 0.25.
	e.deliver(ds.ID, "over", file{"a.csv", []byte("id,email,total\n11,k@x.io,1\n12,bad,2\n")},
		file{"b.csv", []byte("id,email,total\n13,m@x.io,3\n,n@x.io,4\n")})
	run = waitRun(t, r, e.tenant.ID, ds.ID, "over")
	wantStatus(t, run, delivery.StatusFailed)
	if run.SnapshotID != 0 || !strings.Contains(run.Error, "max_reject_ratio") || !strings.Contains(run.Error, "2 of 4 rows") {
		t.Errorf("failed run = %+v; want no snapshot and the ratio named", run)
	}
	if n := len(e.snapshots(ds.ID)); n != 1 {
		t.Errorf("snapshots after the refused file set = %d; want 1", n)
	}
	if n := len(e.rows(ds.ID)); n != 8 {
		t.Errorf("visible rows after the refused file set = %d; want 8", n)
	}
	rc = e.receipt(e.src.Bucket, ds.ID, "over")
	if rc.Status != delivery.StatusFailed || rc.Error != run.Error || rc.SnapshotID != 0 {
		t.Errorf("receipt = %+v; want failed with %q", rc, run.Error)
	}
}

// TestOverwrite: an overwrite dataset shows only the newest file set.
func TestOverwrite(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	spec := ordersSpec("daily")
	spec.WriteMode = catalog.WriteOverwrite
	ds := e.dataset(e.tenant.ID, spec)

	e.deliver(ds.ID, "d1", file{"a.csv", []byte("id,name,amount\n1,a,1\n2,b,2\n3,c,3\n")})
	wantStatus(t, waitRun(t, r, e.tenant.ID, ds.ID, "d1"), delivery.StatusCommitted)
	e.deliver(ds.ID, "d2", file{"a.csv", []byte("id,name,amount\n10,x,10\n11,y,11\n")})
	run := waitRun(t, r, e.tenant.ID, ds.ID, "d2")
	wantStatus(t, run, delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), [][]any{{int64(10), "x", 10.0}, {int64(11), "y", 11.0}})
	if snaps := e.snapshots(ds.ID); len(snaps) != 2 || snaps[1].ID != run.SnapshotID {
		t.Errorf("snapshots = %+v; want 2, the last %d", snaps, run.SnapshotID)
	}
	if len(run.Warnings) != 0 {
		t.Errorf("warnings of a file set with rows: %q", run.Warnings)
	}

	// A file set without rows empties the dataset, as an overwrite must,
	// and says so in the run and the receipt.
	e.deliver(ds.ID, "d3", file{"a.csv", []byte("id,name,amount\n")})
	run = waitRun(t, r, e.tenant.ID, ds.ID, "d3")
	wantStatus(t, run, delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), nil)
	if len(run.Warnings) != 1 || !strings.Contains(run.Warnings[0], "the dataset is now empty") {
		t.Errorf("warnings of the empty overwrite: %q", run.Warnings)
	}
	if rc := e.receipt(e.src.Bucket, ds.ID, "d3"); len(rc.Warnings) != 1 {
		t.Errorf("receipt warnings: %q; want the empty overwrite's", rc.Warnings)
	}
}

// TestOtherTenantsDataset: a file set naming a dataset of another tenant,
// or none, fails with the reason in the receipt and touches nothing.
func TestOtherTenantsDataset(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	other, _ := e.newTenant("globex")
	theirs := e.dataset(other.ID, ordersSpec("theirs"))
	body := []byte("id,name,amount\n1,a,1\n")

	for _, id := range []int64{theirs.ID, theirs.ID + 1000} {
		e.deliver(id, "2025-01-15", file{"a.csv", body})
		run := waitRun(t, r, e.tenant.ID, id, "2025-01-15")
		wantStatus(t, run, delivery.StatusFailed)
		if !strings.Contains(run.Error, "does not belong") {
			t.Errorf("dataset %d: run error %q; want the tenant named", id, run.Error)
		}
		rc := e.receipt(e.src.Bucket, id, "2025-01-15")
		if rc.Status != delivery.StatusFailed || rc.Error != run.Error {
			t.Errorf("dataset %d: receipt = %+v; want failed with %q", id, rc, run.Error)
		}
	}
	if snaps := e.snapshots(theirs.ID); len(snaps) != 0 {
		t.Errorf("the other tenant's dataset has snapshots %+v", snaps)
	}
	if runs, _ := r.List(context.Background(), other.ID, theirs.ID, 10); len(runs) != 0 {
		t.Errorf("the other tenant sees runs %+v", runs)
	}
}

// TestFileFailureFailsFileSet: one file whose header does not match (or
// that is UTF-16) fails the whole file set, naming the column.
func TestFileFailureFailsFileSet(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("orders"))
	good := file{"a-good.csv", []byte("id,name,amount\n1,a,1\n2,b,2\n")}

	for _, tt := range []struct {
		folder, file, reason string
	}{
		{"renamed", "17-header-renamed.csv", `header column "amt" does not match the schema, which expects "amount"`},
		{"utf16", "17-utf16le.csv", "UTF-16LE"},
	} {
		e.deliver(ds.ID, tt.folder, good, caseFile(t, tt.file))
		run := waitRun(t, r, e.tenant.ID, ds.ID, tt.folder)
		wantStatus(t, run, delivery.StatusFailed)
		if !strings.Contains(run.Error, tt.file) || !strings.Contains(run.Error, tt.reason) {
			t.Errorf("%s: run error %q; want the file and %q", tt.folder, run.Error, tt.reason)
		}
		rc := e.receipt(e.src.Bucket, ds.ID, tt.folder)
		if rc.Status != delivery.StatusFailed || !strings.Contains(rc.Error, tt.reason) {
			t.Errorf("%s: receipt = %+v; want failed with %q", tt.folder, rc, tt.reason)
		}
		if s := fileSummary(t, rc.Files, tt.file); s.Status != ingest.StatusFailed || s.RowsAccepted != 0 {
			t.Errorf("%s: receipt of the file = %+v; want failed, 0 rows", tt.folder, s)
		}
	}
	if n := len(e.snapshots(ds.ID)); n != 0 {
		t.Errorf("snapshots = %d; want none", n)
	}
	if rows := e.rows(ds.ID); len(rows) != 0 {
		t.Errorf("visible rows = %v; want none", rows)
	}

	// A folder with nothing but the marker fails with a reason.
	e.deliver(ds.ID, "nothing")
	run := waitRun(t, r, e.tenant.ID, ds.ID, "nothing")
	wantStatus(t, run, delivery.StatusFailed)
	if !strings.Contains(run.Error, "holds no file") {
		t.Errorf("empty folder: run error %q; want the missing files named", run.Error)
	}

	// The partner fixes the file and hands the folder over again: a
	// failed file set may be retried, and then commits once.
	e.deliver(ds.ID, "renamed", file{"17-header-renamed.csv", []byte("id,name,amount\n3,c,3\n")})
	deadline := time.Now().Add(waitLimit)
	for {
		runs := runsOf(t, r, e.tenant.ID, ds.ID, "renamed")
		if len(runs) == 2 && finished(runs[0]) {
			wantStatus(t, runs[0], delivery.StatusCommitted)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retried folder: runs %+v; want a second, committed", runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantRows(t, e.rows(ds.ID), [][]any{{int64(1), "a", 1.0}, {int64(2), "b", 2.0}, {int64(3), "c", 3.0}})
	if rc := e.receipt(e.src.Bucket, ds.ID, "renamed"); rc.Status != delivery.StatusCommitted || rc.RowsAccepted != 3 {
		t.Errorf("receipt after the retry = %+v; want committed with 3 rows", rc)
	}
}

// TestResume: runs a crash or shutdown left queued or running are finished
// by the next runner on the same database, each committed exactly once.
func TestResume(t *testing.T) {
	e := newEnv(t)
	ds := e.dataset(e.tenant.ID, ordersSpec("orders"))
	ctx := context.Background()

	// Queued by a runner that never ran, and one left running with stale
	// counters.
	dead, cancel := e.newRunner(false)
	defer cancel()
	e.upload(ds.ID, "queued", file{"a.csv", []byte("id,name,amount\n1,a,1\n2,b,2\n")})
	e.upload(ds.ID, "running", file{"a.csv", []byte("id,name,amount\n3,c,3\n")}, file{"b.csv", []byte("id,name,amount\n4,d,4\n")})
	q, err := dead.Trigger(ctx, e.src, ds.ID, "queued", "api")
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	run, err := dead.Trigger(ctx, e.src, ds.ID, "running", "api")
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	e.setRunState(run.ID, delivery.StatusRunning, func(m map[string]any) {
		m["rows_accepted"], m["files_done"], m["bytes_done"] = 1, 1, 20
	})
	if _, err := dead.Trigger(ctx, e.src, ds.ID, "running", "api"); !errors.Is(err, delivery.ErrInProgress) {
		t.Errorf("Trigger of a running file set: %v; want ErrInProgress", err)
	}

	r, stop := e.newRunner(true)
	for _, id := range []int64{q.ID, run.ID} {
		got := waitID(t, r, e.tenant.ID, id)
		wantStatus(t, got, delivery.StatusCommitted)
		if n := len(e.snapshotsOf(ds.ID, got.Folder)); n != 1 {
			t.Errorf("%s: %d snapshots carry the file set; want 1", got.Folder, n)
		}
	}
	if got, _ := r.Get(ctx, e.tenant.ID, run.ID); got.RowsAccepted != 2 || got.FilesDone != 2 || len(got.Files) != 2 {
		t.Errorf("resumed run = %+v; want its own counts: 2 rows, 2 files", got)
	}
	wantRows(t, e.rows(ds.ID), [][]any{{int64(1), "a", 1.0}, {int64(2), "b", 2.0}, {int64(3), "c", 3.0}, {int64(4), "d", 4.0}})

	// A crash after the commit and before the run was marked: the next
	// runner finds the snapshot and commits nothing again.
	stop()
	e.setRunState(run.ID, delivery.StatusRunning, func(m map[string]any) { delete(m, "snapshot_id") })
	before := len(e.snapshots(ds.ID))
	r, stop = e.newRunner(true)
	got := waitID(t, r, e.tenant.ID, run.ID)
	wantStatus(t, got, delivery.StatusCommitted)
	if snaps := e.snapshotsOf(ds.ID, "running"); len(snaps) != 1 || got.SnapshotID != snaps[0].ID {
		t.Errorf("after the restart: run snapshot %d, snapshots of the file set %+v; want the one", got.SnapshotID, snaps)
	}
	if n := len(e.snapshots(ds.ID)); n != before {
		t.Errorf("snapshots after the restart = %d; want %d", n, before)
	}
	if n := len(e.rows(ds.ID)); n != 4 {
		t.Errorf("rows after the restart = %d; want 4", n)
	}

	// A shutdown in the middle of a larger file set.
	stop()
	const files, perFile = 4, 50000
	var set []file
	for i := range files {
		var b strings.Builder
		b.WriteString("id,name,amount\n")
		for j := range perFile {
			id := i*perFile + j + 100
			fmt.Fprintf(&b, "%d,name-%d,%d.25\n", id, id, id%1000)
		}
		set = append(set, file{fmt.Sprintf("part-%d.csv", i), []byte(b.String())})
	}
	e.upload(ds.ID, "big", set...)
	r, stop = e.newRunner(true)
	big, err := r.Trigger(ctx, e.src, ds.ID, "big", "api")
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		cur, err := r.Get(ctx, e.tenant.ID, big.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status == delivery.StatusRunning && cur.FilesDone >= 1 || finished(cur) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	cut, _ := r.Get(ctx, e.tenant.ID, big.ID)
	t.Logf("stopped with the run %s, %d of %d files done", cut.Status, cut.FilesDone, cut.FilesTotal)
	if cut.Status == delivery.StatusCommitted {
		t.Logf("the run finished before the stop; the resume is not exercised")
	}
	r, _ = e.newRunner(true)
	got = waitID(t, r, e.tenant.ID, big.ID)
	wantStatus(t, got, delivery.StatusCommitted)
	if got.RowsAccepted != files*perFile {
		t.Errorf("resumed run rows = %d; want %d", got.RowsAccepted, files*perFile)
	}
	if n := len(e.snapshotsOf(ds.ID, "big")); n != 1 {
		t.Errorf("%d snapshots carry the big file set; want 1", n)
	}
	rr, err := e.tbl.ScanRecords(ctx, ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	seen := map[int64]bool{}
	dups := 0
	for rr.Next() {
		ids := rr.RecordBatch().Column(0).(*array.Int64)
		for i := range ids.Len() {
			if seen[ids.Value(i)] {
				dups++
			}
			seen[ids.Value(i)] = true
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	if want := files*perFile + 4; len(seen) != want || dups != 0 {
		t.Errorf("table holds %d distinct ids and %d duplicates; want %d and none", len(seen), dups, want)
	}
}

// Case 19: empty and header-only files beside a good one.
func TestCase19EmptyFiles(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("orders"))
	e.deliver(ds.ID, "2025-01-15", caseFile(t, "17-bom.csv"), caseFile(t, "19-header-only.csv"),
		caseFile(t, "19-header-only-no-newline.csv"), caseFile(t, "19-zero-bytes.csv"),
		caseFile(t, "19-empty.csv.gz"), caseFile(t, "19-zero-bytes.jsonl"))
	run := waitRun(t, r, e.tenant.ID, ds.ID, "2025-01-15")
	wantStatus(t, run, delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), [][]any{{int64(1), "Alice", 12.5}, {int64(2), "Bob", 7.0}})
	rc := e.receipt(e.src.Bucket, ds.ID, "2025-01-15")
	if len(rc.Files) != 6 {
		t.Fatalf("receipt files = %+v; want 6", rc.Files)
	}
	for _, name := range []string{"19-zero-bytes.csv", "19-empty.csv.gz", "19-zero-bytes.jsonl"} {
		if s := fileSummary(t, rc.Files, name); s.Status != ingest.StatusEmpty || !strings.Contains(s.Reason, "empty file") || s.RowsAccepted != 0 {
			t.Errorf("receipt of %s = %+v; want empty with a reason", name, s)
		}
	}
	for _, name := range []string{"19-header-only.csv", "19-header-only-no-newline.csv"} {
		if s := fileSummary(t, rc.Files, name); s.Status != ingest.StatusOK || s.RowsAccepted != 0 {
			t.Errorf("receipt of %s = %+v; want ok with 0 rows", name, s)
		}
	}
	if s := fileSummary(t, rc.Files, "17-bom.csv"); s.Status != ingest.StatusOK || s.RowsAccepted != 2 {
		t.Errorf("receipt of 17-bom.csv = %+v; want ok with 2 rows", s)
	}
}

// changeDelay is the runners' quiet time after a write into an ingested
// folder, short for the tests.
const changeDelay = 100 * time.Millisecond

// waitRuns waits until a folder has n runs and the newest is finished; it
// returns them, newest first.
func waitRuns(t *testing.T, r *delivery.Runner, tenantID, datasetID int64, folder string, n int) []delivery.Run {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		runs := runsOf(t, r, tenantID, datasetID, folder)
		if len(runs) > n {
			t.Fatalf("folder %s: %d runs; want %d: %+v", folder, len(runs), n, runs)
		}
		if len(runs) == n && finished(runs[0]) {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("folder %s: %d runs after %v; want %d finished", folder, len(runs), waitLimit, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits long enough for a late event, a change timer and the run
// they would queue, then checks that the folder still has n runs.
func settle(t *testing.T, r *delivery.Runner, tenantID, datasetID int64, folder string, n int, what string) {
	t.Helper()
	time.Sleep(changeDelay + 400*time.Millisecond)
	if runs := runsOf(t, r, tenantID, datasetID, folder); len(runs) != n {
		t.Errorf("%s: folder %s has %d runs; want %d", what, folder, len(runs), n)
		for _, run := range runs {
			t.Logf("run %d: %s, trigger %s, %d rows, version %s", run.ID, run.Status, run.Trigger, run.RowsAccepted, run.Version)
		}
	}
}

func etagOf(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// Case 23: the same file delivered twice, by a retry, a re-sync, a new
// version under the same name, a vendor's retry under a new name, and
// replayed events. A file set is ingested again only when its content (its
// files' names and ETags) changes, and then its new version replaces the
// old one's rows.
func TestCase23SameFileTwice(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("orders"))
	ctx := context.Background()
	v1, v2 := caseFile(t, "23-orders-v1.csv"), caseFile(t, "23-orders-v2.csv")
	v1.name, v2.name = "orders.csv", "orders.csv"
	const f = "2025-01-15"
	folderKey := prefix(ds.ID, f)
	tenant := e.tenant.ID
	ids := func() []int64 {
		t.Helper()
		var out []int64
		for _, row := range e.rows(ds.ID) {
			out = append(out, row[0].(int64))
		}
		slices.Sort(out)
		return out
	}

	// 1. v1 and the marker: one run, 3 rows.
	e.deliver(ds.ID, f, v1)
	first := waitRuns(t, r, tenant, ds.ID, f, 1)[0]
	wantStatus(t, first, delivery.StatusCommitted)
	if first.RowsAccepted != 3 || first.Version == "" {
		t.Fatalf("first run: %d rows, version %q; want 3 rows and a version", first.RowsAccepted, first.Version)
	}

	// 2. v1 again under the same key, the marker again, an API trigger: the
	// same content, no new run, recorded as duplicates of the first.
	e.upload(ds.ID, f, v1)
	e.put(e.src.Bucket, folderKey+delivery.SuccessFile, nil)
	got, err := r.Trigger(ctx, e.src, ds.ID, f, "api")
	if !errors.Is(err, delivery.ErrAlreadyIngested) || got.ID != first.ID {
		t.Errorf("Trigger of the unchanged folder: run %d, %v; want run %d, ErrAlreadyIngested", got.ID, err, first.ID)
	}
	settle(t, r, tenant, ds.ID, f, 1, "same bytes again")
	if again, _ := r.Get(ctx, tenant, first.ID); again.Duplicates < 2 || again.LastDuplicateAt == nil {
		t.Errorf("first run records %d duplicates; want the marker's and the API's (2 or more)", again.Duplicates)
	}
	if got := ids(); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("ids after the duplicate delivery: %v; want 1 2 3", got)
	}

	// 4. v2 under the same key, no marker: the folder's content changed, so
	// one new run for the new version, whose rows replace the old ones: 4
	// rows for this file, not 7.
	e.upload(ds.ID, f, v2)
	runs := waitRuns(t, r, tenant, ds.ID, f, 2)
	second := runs[0]
	wantStatus(t, second, delivery.StatusCommitted)
	if second.Replaces != first.ID || second.Trigger != "changed-file" {
		t.Errorf("second run replaces run %d, trigger %q; want run %d, changed-file", second.Replaces, second.Trigger, first.ID)
	}
	if s := fileSummary(t, second.Files, "orders.csv"); s.RowsAccepted != 4 || s.ETag != etagOf(v2.body) {
		t.Errorf("second run read orders.csv as %d rows, ETag %s; want 4 rows of ETag %s", s.RowsAccepted, s.ETag, etagOf(v2.body))
	}
	if got := ids(); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Errorf("ids after v2: %v; want 1 2 3 4 (v2 replaces v1)", got)
	}
	if rc := e.receipt(e.src.Bucket, ds.ID, f); rc.RunID != second.ID || rc.RowsAccepted != 4 {
		t.Errorf("receipt after v2: run %d, %d rows; want run %d, 4 rows", rc.RunID, rc.RowsAccepted, second.ID)
	}
	snaps := e.snapshotsOf(ds.ID, f)
	if len(snaps) != 2 || snaps[1].Summary[delivery.SummaryVersion] != second.Version {
		t.Errorf("snapshots of the folder: %+v; want 2, the last with version %s", snaps, second.Version)
	}

	// 5. v1's bytes under a new name (a vendor's retry): ingested as its
	// own file, with a warning that names the file it repeats.
	retry := v1
	retry.name = "orders.retry-1.csv"
	e.upload(ds.ID, f, retry)
	third := waitRuns(t, r, tenant, ds.ID, f, 3)[0]
	wantStatus(t, third, delivery.StatusCommitted)
	rs := fileSummary(t, third.Files, "orders.retry-1.csv")
	want := "content identical to " + folderKey + "orders.csv (" + etagOf(v1.body) + ")"
	if rs.RowsAccepted != 3 || len(rs.Warnings) != 1 || !strings.HasPrefix(rs.Warnings[0], want) {
		t.Errorf("retry file: %d rows, warnings %q; want 3 rows and %q", rs.RowsAccepted, rs.Warnings, want)
	}
	if w := fileSummary(t, third.Files, "orders.csv").Warnings; len(w) != 0 {
		t.Errorf("orders.csv, read again unchanged, has warnings %q", w)
	}
	if got := ids(); !slices.Equal(got, []int64{1, 1, 2, 2, 3, 3, 4}) {
		t.Errorf("ids after the retry file: %v; want v2's 4 rows and the retry's 3", got)
	}
	if rc := e.receipt(e.src.Bucket, ds.ID, f); len(rc.Files) != 2 || !strings.Contains(fmt.Sprint(rc.Files), want) {
		t.Errorf("receipt after the retry file: %+v; want 2 files and the warning", rc.Files)
	}

	// 6. The marker's event delivered many times at once, and a listing
	// backfill that sees the same objects twice: no run.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { r.ObjectCreated(e.src.Bucket, folderKey+delivery.SuccessFile) })
	}
	wg.Wait()
	tenants := func(context.Context) ([]int64, error) { return []int64{tenant}, nil }
	r.PollOnce(ctx, tenants)
	r.PollOnce(ctx, tenants)
	settle(t, r, tenant, ds.ID, f, 3, "replayed events and polls")
	if got := ids(); len(got) != 7 {
		t.Errorf("ids after replays: %v; want 7 rows", got)
	}
}

// A folder written to while its run reads it is looked at again when the
// run ends, so the last version is ingested even when a file the run has
// read already is written again before the run ends.
func TestWriteDuringRun(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("orders"))
	const f = "2025-01-16"
	big := []byte("id,name,amount\n")
	for i := range 200000 {
		big = fmt.Appendf(big, "%d,name%d,1.00\n", i+100, i)
	}
	// a.csv is read first, then b.csv, which takes a while.
	e.deliver(ds.ID, f, file{"a.csv", []byte("id,name,amount\n1,old,1.00\n")}, file{"b.csv", big})
	for {
		runs := runsOf(t, r, e.tenant.ID, ds.ID, f)
		if len(runs) > 0 && runs[0].Status == delivery.StatusRunning && runs[0].FilesDone >= 1 {
			break // a.csv is read
		}
		if len(runs) > 0 && finished(runs[0]) {
			t.Fatalf("the first run ended before the test saw it read a.csv; make b.csv bigger")
		}
		time.Sleep(time.Millisecond)
	}
	// a.csv re-delivered with its marker, which triggers at once: the run
	// in progress takes note and the folder is looked at again when it ends.
	e.deliver(ds.ID, f, file{"a.csv", []byte("id,name,amount\n2,new,2.50\n")})
	runs := waitRuns(t, r, e.tenant.ID, ds.ID, f, 2)
	if runs[1].Status != delivery.StatusCommitted || fileSummary(t, runs[1].Files, "a.csv").RowsAccepted != 1 {
		t.Fatalf("first run: %+v", runs[1])
	}
	wantStatus(t, runs[0], delivery.StatusCommitted)
	// Its trigger is the runner's second look ("recheck"), unless the
	// first run ended before the marker's event came (a slow machine).
	if runs[0].Replaces != runs[1].ID || runs[0].Trigger != "recheck" && runs[0].Trigger != "success-file" {
		t.Errorf("second run: replaces %d, trigger %q; want %d, recheck", runs[0].Replaces, runs[0].Trigger, runs[1].ID)
	}
	if runs[0].Trigger != "recheck" {
		t.Logf("the first run ended before the marker's event: the second look was not exercised")
	}
	var low []int64
	rows := e.rows(ds.ID)
	for _, row := range rows {
		if id := row[0].(int64); id < 100 {
			low = append(low, id)
		}
	}
	if len(rows) != 200001 || !slices.Equal(low, []int64{2}) {
		t.Errorf("%d rows, a.csv's ids %v; want 200001 rows and the new a.csv's id 2 only", len(rows), low)
	}
}

// Case 25: JSON Lines that aren't quite.
func TestCase25JSONL(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, catalog.DatasetSpec{
		Name: "events",
		Fields: []catalog.Field{
			{Name: "id", Type: catalog.TypeLong, Required: true},
			{Name: "name", Type: catalog.TypeString},
		},
		File:           catalog.FileConfig{Format: catalog.FormatJSONL},
		MaxRejectRatio: 0.5,
	})
	e.deliver(ds.ID, "2025-01-15", caseFile(t, "25-blank-lines.jsonl"), caseFile(t, "25-crlf.jsonl"), caseFile(t, "25-mixed.jsonl"))
	run := waitRun(t, r, e.tenant.ID, ds.ID, "2025-01-15")
	wantStatus(t, run, delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), [][]any{
		{int64(1), "a"}, {int64(2), "b"}, {int64(3), nil}, // blank lines
		{int64(1), "a"}, {int64(2), "b"}, // crlf
		{int64(1), "a"}, {int64(3), "c"}, {int64(4), nil}, {int64(6), "é"}, // mixed
	})
	mixed := fileSummary(t, run.Files, "25-mixed.jsonl")
	if !reflect.DeepEqual(mixed.UnknownFields, []string{"extra"}) || mixed.RowsRejected != 2 || len(mixed.FirstRejects) != 2 ||
		mixed.FirstRejects[0].Line != 2 || mixed.FirstRejects[0].Field != "id" || mixed.FirstRejects[1].Line != 5 {
		t.Errorf("25-mixed.jsonl summary = %+v; want extra reported, lines 2 (id) and 5 rejected", mixed)
	}
	if s := fileSummary(t, run.Files, "25-blank-lines.jsonl"); s.BlankLines != 3 || s.RowsAccepted != 3 {
		t.Errorf("25-blank-lines.jsonl summary = %+v; want 3 rows, 3 blank lines", s)
	}
}

// timestampSpec is the schema of cases 26 to 28.
func timestampSpec(name, format string) catalog.DatasetSpec {
	return catalog.DatasetSpec{
		Name: name,
		Fields: []catalog.Field{
			{Name: "customer_id", Type: catalog.TypeString, Required: true},
			{Name: "event_ts", Type: catalog.TypeTimestampTZ},
			{Name: "value", Type: catalog.TypeDouble},
		},
		File: catalog.FileConfig{Format: format, Header: format == catalog.FormatCSV},
	}
}

// Case 26: sub-second and pre-1970 timestamps keep their exact instants
// through the table.
func TestCase26Timestamps(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, timestampSpec("ts", catalog.FormatCSV))
	e.deliver(ds.ID, "2025-01-15", caseFile(t, "26-subsecond.csv"))
	wantStatus(t, waitRun(t, r, e.tenant.ID, ds.ID, "2025-01-15"), delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), [][]any{
		{"c1", "2026-12-01T10:00:00.123456Z", 1.0},
		{"c2", "2026-12-01T10:00:00.100000Z", 2.0},
		{"c3", "2026-12-01T08:00:00.000000Z", 3.0},
		{"c4", "1969-12-31T23:59:59.999999Z", 4.0},
	})

	// The stored values, microseconds since the epoch.
	want := map[string]int64{
		"c1": time.Date(2026, 12, 1, 10, 0, 0, 123456000, time.UTC).UnixMicro(),
		"c2": time.Date(2026, 12, 1, 10, 0, 0, 100000000, time.UTC).UnixMicro(),
		"c3": time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC).UnixMicro(),
		"c4": -1,
	}
	rr, err := e.tbl.ScanRecords(context.Background(), ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	got := map[string]int64{}
	for rr.Next() {
		rec := rr.RecordBatch()
		ids, ts := rec.Column(0).(*array.String), rec.Column(1).(*array.Timestamp)
		for i := range ids.Len() {
			got[ids.Value(i)] = int64(ts.Value(i))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored microseconds = %v; want %v", got, want)
	}
}

// Cases 27 and 28: Parquet deliveries from other engines.
func TestCase27And28Parquet(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, timestampSpec("pq", catalog.FormatParquet))

	e.deliver(ds.ID, "spark", caseFile(t, "27-int96-timestamps.parquet"))
	wantStatus(t, waitRun(t, r, e.tenant.ID, ds.ID, "spark"), delivery.StatusCommitted)
	case27 := [][]any{
		{"c1", "2026-12-01T10:00:00.000000Z", 0.5},
		{"c2", "2026-12-01T23:59:59.123456Z", 1.5},
		{"c3", "1999-12-31T00:00:00.000000Z", 2.5},
	}
	wantRows(t, e.rows(ds.ID), case27)

	e.deliver(ds.ID, "names", caseFile(t, "28-decimal-and-names.parquet"))
	wantStatus(t, waitRun(t, r, e.tenant.ID, ds.ID, "names"), delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), append(case27,
		[]any{"c1", "2026-12-01T10:00:00.000000Z", 123.45},
		[]any{"c2", nil, -0.05}))

	// A column the schema does not have is named in the receipt and
	// ignored; a required column the file lacks fails it, naming it.
	spec := timestampSpec("narrow", catalog.FormatParquet)
	spec.Fields = spec.Fields[:2]
	narrow := e.dataset(e.tenant.ID, spec)
	e.deliver(narrow.ID, "names", caseFile(t, "28-decimal-and-names.parquet"))
	wantStatus(t, waitRun(t, r, e.tenant.ID, narrow.ID, "names"), delivery.StatusCommitted)
	rc := e.receipt(e.src.Bucket, narrow.ID, "names")
	if len(rc.Files) != 1 || !slices.Equal(rc.Files[0].UnknownFields, []string{"VALUE"}) || rc.RowsAccepted != 2 {
		t.Errorf("receipt of the file with an extra column: %+v; want VALUE named, 2 rows", rc)
	}
	spec = timestampSpec("wide", catalog.FormatParquet)
	spec.Fields = append(spec.Fields, catalog.Field{Name: "region", Type: catalog.TypeString, Required: true})
	wide := e.dataset(e.tenant.ID, spec)
	e.deliver(wide.ID, "names", caseFile(t, "28-decimal-and-names.parquet"))
	run := waitRun(t, r, e.tenant.ID, wide.ID, "names")
	wantStatus(t, run, delivery.StatusFailed)
	if !strings.Contains(run.Error, "region") {
		t.Errorf("run of the file without the required column: error %q; want it named", run.Error)
	}
}

// TestHadoopSideFiles: a folder written by Spark holds checksum files and
// its own markers beside the data; names starting with . or _ are not part
// of the file set, as Hadoop and Spark readers skip them.
func TestHadoopSideFiles(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("spark"))
	crc := []byte("crc\x00\x00\x02\x00\x00\x00\x00\x9a\xbc")
	e.deliver(ds.ID, "g1",
		file{"part-00000.txt", []byte("id,name,amount\n1,a,1\n2,b,2\n")},
		file{".part-00000.txt.crc", crc},
		file{"._SUCCESS.crc", crc},
		file{"_committed_8052", []byte(`{"added":["part-00000.txt"]}`)},
		file{"_temporary/0/_temporary/attempt_1/part-00001.txt", []byte("not,a,row\n")},
		file{".hive-staging_hive_1/-ext-10000/000000_0", []byte("\x00")})
	run := waitRun(t, r, e.tenant.ID, ds.ID, "g1")
	wantStatus(t, run, delivery.StatusCommitted)
	if run.FilesTotal != 1 || len(run.Files) != 1 || run.Files[0].File != "part-00000.txt" || run.RowsAccepted != 2 {
		t.Errorf("run = %+v; want the one data file and its 2 rows", run)
	}
	wantRows(t, e.rows(ds.ID), [][]any{{int64(1), "a", 1.0}, {int64(2), "b", 2.0}})

	// Side files alone are no file set.
	e.deliver(ds.ID, "g2", file{"._SUCCESS.crc", crc})
	run = waitRun(t, r, e.tenant.ID, ds.ID, "g2")
	wantStatus(t, run, delivery.StatusFailed)
	if !strings.Contains(run.Error, "holds no file") || !strings.Contains(run.Error, "ignored") {
		t.Errorf("run error %q; want no file, and the ignored names said", run.Error)
	}
}

// TestNonCanonicalDatasetID: a marker under datasetId=+ID or datasetId=0ID
// is not the marker of datasetId=ID's folder, and triggers nothing.
func TestNonCanonicalDatasetID(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("orders"))
	e.upload(ds.ID, "g3", file{"a.csv", []byte("id,name,amount\n1,a,1\n")})
	id := strconv.FormatInt(ds.ID, 10)
	for _, spelled := range []string{"+" + id, "0" + id, "00" + id, " " + id} {
		e.put(e.src.Bucket, delivery.DeliveryPrefix+"datasetId="+spelled+"/g3/a.csv", []byte("id,name,amount\n9,z,9\n"))
		e.put(e.src.Bucket, delivery.DeliveryPrefix+"datasetId="+spelled+"/g3/"+delivery.SuccessFile, nil)
	}
	time.Sleep(300 * time.Millisecond)
	if runs := runsOf(t, r, e.tenant.ID, ds.ID, "g3"); len(runs) != 0 {
		t.Errorf("runs = %+v; want none", runs)
	}
	if n := len(e.snapshots(ds.ID)); n != 0 {
		t.Errorf("snapshots = %d; want none", n)
	}
	// The canonical marker still triggers the folder.
	e.put(e.src.Bucket, prefix(ds.ID, "g3")+delivery.SuccessFile, nil)
	wantStatus(t, waitRun(t, r, e.tenant.ID, ds.ID, "g3"), delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), [][]any{{int64(1), "a", 1.0}})
}

// TestStrayQuote: a quote that never closes fails the file set, naming
// its line, rather than passing as one reject; one that closes many lines
// later counts every line it ran over toward the reject ratio.
func TestStrayQuote(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	spec := ordersSpec("orders")
	spec.MaxRejectRatio = 0.01
	ds := e.dataset(e.tenant.ID, spec)
	rows := func(stray func(i int) string) []byte {
		var b strings.Builder
		b.WriteString("id,name,amount\n")
		for i := 1; i <= 1000; i++ {
			if s := stray(i); s != "" {
				b.WriteString(s)
				continue
			}
			fmt.Fprintf(&b, "%d,name %d,%d.5\n", i, i, i)
		}
		return []byte(b.String())
	}

	unclosed := rows(func(i int) string {
		if i == 900 {
			return "900,\"oops,1\n"
		}
		return ""
	})
	e.deliver(ds.ID, "unclosed", file{"a.csv", []byte("id,name,amount\n1,a,1\n")}, file{"b.csv", unclosed})
	run := waitRun(t, r, e.tenant.ID, ds.ID, "unclosed")
	wantStatus(t, run, delivery.StatusFailed)
	if want := "the quote opened on line 901 is never closed, so the 100 lines after it"; !strings.Contains(run.Error, "b.csv") || !strings.Contains(run.Error, want) {
		t.Errorf("run error %q; want the file and %q", run.Error, want)
	}
	if n := len(e.snapshots(ds.ID)); n != 0 {
		t.Errorf("snapshots = %d; want none", n)
	}

	closedLater := rows(func(i int) string {
		switch i {
		case 100:
			return "100,\"oops,1\n"
		case 150:
			return "150,5\" pipe,1\n"
		}
		return ""
	})
	e.deliver(ds.ID, "closed", file{"b.csv", closedLater})
	run = waitRun(t, r, e.tenant.ID, ds.ID, "closed")
	wantStatus(t, run, delivery.StatusFailed)
	if run.RowsRejected != 51 || !strings.Contains(run.Error, "max_reject_ratio") {
		t.Errorf("run = %d rejected, error %q; want 51 and the ratio named", run.RowsRejected, run.Error)
	}
	if s := fileSummary(t, run.Files, "b.csv"); len(s.FirstRejects) != 1 || s.FirstRejects[0].Line != 101 || s.FirstRejects[0].Lines != 51 {
		t.Errorf("rejects = %+v; want one, of line 101 over 51 lines", s.FirstRejects)
	}
	if n := len(e.snapshots(ds.ID)); n != 0 {
		t.Errorf("snapshots = %d; want none", n)
	}
}

// Case 4, e: a file copied (aws s3 mv) from a staging prefix into a folder
// is ingested once, under its own name with its space and plus sign; the
// staging key, outside the delivery prefix, never is, and the copy's event
// replayed after the commit changes nothing.
func TestCase04CopiedFileIngestedOnce(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("copied"))
	ctx := context.Background()
	const staging = "incoming/staging/report 2025+final.csv"
	e.put(e.src.Bucket, staging, []byte("id,name,amount\n1,a,1.00\n2,b,2.00\n"))
	dst := prefix(ds.ID, "2025-01-15") + "report 2025+final.csv"
	if _, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(e.src.Bucket), Key: aws.String(dst),
		CopySource: aws.String(e.src.Bucket + "/" + url.PathEscape(staging))}); err != nil {
		t.Fatalf("CopyObject into the folder: %v", err)
	}
	e.put(e.src.Bucket, prefix(ds.ID, "2025-01-15")+delivery.SuccessFile, nil)
	run := waitRuns(t, r, e.tenant.ID, ds.ID, "2025-01-15", 1)[0]
	wantStatus(t, run, delivery.StatusCommitted)
	if len(run.Files) != 1 || run.Files[0].File != "report 2025+final.csv" || run.RowsAccepted != 2 {
		t.Errorf("run: %+v; want the copied file alone, 2 rows", run.Files)
	}
	r.ObjectCreated(e.src.Bucket, dst) // the copy's event, delivered again
	r.ObjectCreated(e.src.Bucket, staging)
	settle(t, r, e.tenant.ID, ds.ID, "2025-01-15", 1, "a replayed copy event")
	if all, err := r.List(ctx, e.tenant.ID, ds.ID, 100); err != nil || len(all) != 1 {
		t.Errorf("runs of the dataset: %d, %v; want the folder's one", len(all), err)
	}
	if n := len(e.rows(ds.ID)); n != 2 {
		t.Errorf("%d rows; want 2", n)
	}
}

// TestPollSkipsUnchangedFailure: a listing that sees a failed file set
// again does not fail it again every interval; a partner's or tenant's
// explicit trigger retries it, and a corrected file makes the next
// listing ingest it.
func TestPollSkipsUnchangedFailure(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("strict")) // no reject allowed
	ctx := context.Background()
	tenants := func(context.Context) ([]int64, error) { return []int64{e.tenant.ID}, nil }
	const f = "2025-02-01"
	e.deliver(ds.ID, f, file{"a.csv", []byte("id,name,amount\n1,a,1\nx,b,2\n")})
	wantStatus(t, waitRuns(t, r, e.tenant.ID, ds.ID, f, 1)[0], delivery.StatusFailed)

	r.PollOnce(ctx, tenants)
	r.PollOnce(ctx, tenants)
	settle(t, r, e.tenant.ID, ds.ID, f, 1, "polls of the failed, unchanged folder")

	if _, err := r.Trigger(ctx, e.src, ds.ID, f, "api"); err != nil {
		t.Fatalf("explicit retry of the failed folder: %v", err)
	}
	wantStatus(t, waitRuns(t, r, e.tenant.ID, ds.ID, f, 2)[0], delivery.StatusFailed)

	e.upload(ds.ID, f, file{"a.csv", []byte("id,name,amount\n1,a,1\n2,b,2\n")})
	r.PollOnce(ctx, tenants)
	run := waitRuns(t, r, e.tenant.ID, ds.ID, f, 3)[0]
	wantStatus(t, run, delivery.StatusCommitted)
	if run.Trigger != "poll" || run.RowsAccepted != 2 {
		t.Errorf("run after the correction: trigger %q, %d rows; want poll, 2 rows", run.Trigger, run.RowsAccepted)
	}
}

// TestOverwriteIgnoresStrayWrites: in an overwrite dataset, which holds the
// latest delivery, a write into an older, ingested folder does not bring
// that folder back; writing its _SUCCESS again does.
func TestOverwriteIgnoresStrayWrites(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	spec := ordersSpec("latest")
	spec.WriteMode = catalog.WriteOverwrite
	ds := e.dataset(e.tenant.ID, spec)
	e.deliver(ds.ID, "d1", file{"a.csv", []byte("id,name,amount\n1,a,1\n")})
	waitRuns(t, r, e.tenant.ID, ds.ID, "d1", 1)
	e.deliver(ds.ID, "d2", file{"c.csv", []byte("id,name,amount\n10,c,10\n")})
	waitRuns(t, r, e.tenant.ID, ds.ID, "d2", 1)

	e.upload(ds.ID, "d1", file{"a.csv", []byte("id,name,amount\n1,a,9.99\n")})
	settle(t, r, e.tenant.ID, ds.ID, "d1", 1, "a stray write into an old folder of an overwrite dataset")
	wantRows(t, e.rows(ds.ID), [][]any{{int64(10), "c", 10.0}})

	e.put(e.src.Bucket, prefix(ds.ID, "d1")+delivery.SuccessFile, nil)
	run := waitRuns(t, r, e.tenant.ID, ds.ID, "d1", 2)[0]
	wantStatus(t, run, delivery.StatusCommitted)
	wantRows(t, e.rows(ds.ID), [][]any{{int64(1), "a", 9.99}})
}

// TestIdenticalContentWarnings: files of one file set with the same bytes
// are warned about once, as "in this file set", also in the set's next
// version, not again as ingested before.
func TestIdenticalContentWarnings(t *testing.T) {
	e := newEnv(t)
	r, _ := e.newRunner(true)
	ds := e.dataset(e.tenant.ID, ordersSpec("twins"))
	same := []byte("id,name,amount\n1,a,1\n")
	e.deliver(ds.ID, "f", file{"a.csv", same}, file{"b.csv", same})
	waitRuns(t, r, e.tenant.ID, ds.ID, "f", 1)
	e.upload(ds.ID, "f", file{"c.csv", []byte("id,name,amount\n3,c,3\n")})
	run := waitRuns(t, r, e.tenant.ID, ds.ID, "f", 2)[0]
	wantStatus(t, run, delivery.StatusCommitted)
	if w := fileSummary(t, run.Files, "a.csv").Warnings; len(w) != 0 {
		t.Errorf("a.csv warnings %q; want none", w)
	}
	if w := fileSummary(t, run.Files, "b.csv").Warnings; len(w) != 1 || !strings.HasSuffix(w[0], "in this file set") {
		t.Errorf("b.csv warnings %q; want one, identical to a.csv in this file set", w)
	}
}
