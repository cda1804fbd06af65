//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// tenantCLI runs the inlet CLI as one tenant of a server.
type tenantCLI struct {
	s     *server
	token string
}

// newTenant has the operator create a tenant with the CLI and returns the
// tenant's CLI.
func newTenant(t *testing.T, s *server, name string) *tenantCLI {
	t.Helper()
	out := runCmd(t, serverEnv(), serverBinary, "tenant", "create", "--name", name,
		"--data", s.dataDir, "--server", s.consoleURL, "--json")
	var created struct {
		Token struct {
			Secret string `json:"secret"`
		} `json:"token"`
	}
	decodeOut(t, out, &created)
	if created.Token.Secret == "" {
		t.Fatalf("tenant create gave no token: %s", out)
	}
	return &tenantCLI{s: s, token: created.Token.Secret}
}

func (c *tenantCLI) env() []string {
	return append(serverEnv(), "INLET_TOKEN="+c.token)
}

// run runs an inlet command against the server's current console.
func (c *tenantCLI) run(t *testing.T, args ...string) string {
	t.Helper()
	return runCmd(t, c.env(), serverBinary, append(args, "--server", c.s.consoleURL)...)
}

func (c *tenantCLI) try(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return tryCmd(t, c.env(), serverBinary, append(args, "--server", c.s.consoleURL)...)
}

// dataset creates a dataset from a JSON spec and returns its id.
func (c *tenantCLI) dataset(t *testing.T, spec string) int64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schema.json")
	writeFile(t, path, []byte(spec))
	var ds struct {
		ID int64 `json:"id"`
	}
	decodeOut(t, c.run(t, "dataset", "create", "--schema", path, "--json"), &ds)
	if ds.ID == 0 {
		t.Fatalf("dataset create: no id")
	}
	return ds.ID
}

// source creates an active source.
func (c *tenantCLI) source(t *testing.T, args ...string) consoleSource {
	t.Helper()
	var src consoleSource
	decodeOut(t, c.run(t, append([]string{"source", "create", "--json"}, args...)...), &src)
	if src.Status != "active" || src.Bucket == "" {
		t.Fatalf("source create: %+v", src)
	}
	return src
}

func (c *tenantCLI) instructions(t *testing.T, src consoleSource) consoleInstructions {
	t.Helper()
	var in consoleInstructions
	decodeOut(t, c.run(t, "source", "instructions", strconv.FormatInt(src.ID, 10), "--json"), &in)
	if in.Bucket != src.Bucket || in.Endpoint == "" {
		t.Fatalf("instructions of %s: %+v", src.Bucket, in)
	}
	return in
}

// ingestRun is an ingestion as the CLI prints it with --json.
type ingestRun struct {
	ID           int64         `json:"id"`
	Folder       string        `json:"folder"`
	Status       string        `json:"status"`
	Error        string        `json:"error"`
	SnapshotID   int64         `json:"snapshot_id,string"`
	FilesTotal   int           `json:"files_total"`
	FilesDone    int           `json:"files_done"`
	BytesTotal   int64         `json:"bytes_total"`
	BytesDone    int64         `json:"bytes_done"`
	RowsAccepted int64         `json:"rows_accepted"`
	RowsRejected int64         `json:"rows_rejected"`
	Files        []fileOutcome `json:"files"`
}

// fileOutcome is one file of a run or a receipt.
type fileOutcome struct {
	File          string       `json:"file"`
	ETag          string       `json:"etag"`
	Status        string       `json:"status"`
	Reason        string       `json:"reason"`
	RowsAccepted  int64        `json:"rows_accepted"`
	RowsRejected  int64        `json:"rows_rejected"`
	UnknownFields []string     `json:"unknown_fields"`
	FirstRejects  []rejectLine `json:"first_rejects"`
}

type rejectLine struct {
	Line   int64  `json:"line"`
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// ingestReceipt is the receipt a partner reads from the bucket.
type ingestReceipt struct {
	RunID        int64         `json:"run_id"`
	DatasetID    int64         `json:"dataset_id"`
	Folder       string        `json:"folder"`
	Status       string        `json:"status"`
	Error        string        `json:"error"`
	SnapshotID   int64         `json:"snapshot_id,string"`
	RowsAccepted int64         `json:"rows_accepted"`
	RowsRejected int64         `json:"rows_rejected"`
	Files        []fileOutcome `json:"files"`
}

// listRuns returns the newest run of a folder, if any.
func (c *tenantCLI) folderRun(t *testing.T, datasetID int64, folder string) (ingestRun, bool) {
	t.Helper()
	var out struct {
		Ingestions []ingestRun `json:"ingestions"`
	}
	decodeOut(t, c.run(t, "ingest", "list", "--dataset", strconv.FormatInt(datasetID, 10), "--json"), &out)
	for _, r := range out.Ingestions {
		if r.Folder == folder {
			return r, true
		}
	}
	return ingestRun{}, false
}

// waitIngest polls `inlet ingest list` until the folder's run is committed
// or failed.
func (c *tenantCLI) waitIngest(t *testing.T, datasetID int64, folder string, limit time.Duration) ingestRun {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		r, ok := c.folderRun(t, datasetID, folder)
		if ok && (r.Status == "committed" || r.Status == "failed") {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("dataset %d folder %s: no finished ingestion within %v (last %+v)", datasetID, folder, limit, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func wantCommitted(t *testing.T, r ingestRun) {
	t.Helper()
	if r.Status != "committed" || r.SnapshotID == 0 {
		t.Fatalf("ingestion %d of %s: %s (%s), snapshot %d; want committed", r.ID, r.Folder, r.Status, r.Error, r.SnapshotID)
	}
}

// rowsOf prints a dataset's rows with the CLI, each cell formatted with
// %v (nil for NULL), sorted.
func (c *tenantCLI) rowsOf(t *testing.T, datasetID int64) [][]string {
	t.Helper()
	var out struct {
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
	}
	decodeOut(t, c.run(t, "dataset", "rows", strconv.FormatInt(datasetID, 10), "--limit", "1000", "--json"), &out)
	var rows [][]string
	for _, r := range out.Rows {
		row := make([]string, len(r))
		for i, v := range r {
			row[i] = fmt.Sprint(v)
		}
		rows = append(rows, row)
	}
	return sortedRows(rows)
}

func sortedRows(rows [][]string) [][]string {
	slices.SortFunc(rows, func(a, b []string) int { return slices.Compare(a, b) })
	return rows
}

func wantRowsE2E(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	want = sortedRows(slices.Clone(want))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: rows =\n%v\nwant\n%v", what, got, want)
	}
}

// deliveryKey is the key of a file in a file-set folder.
func deliveryKey(datasetID int64, folder, name string) string {
	return fmt.Sprintf("ingestion/datasets/version=1/datasetId=%d/%s/%s", datasetID, folder, name)
}

func receiptKey(datasetID int64, folder string) string {
	return fmt.Sprintf("ingestion/receipts/version=1/datasetId=%d/%s/_RECEIPT.json", datasetID, folder)
}

// deliver uploads files (local paths) into a folder as a partner does,
// each with the bucket-owner-full-control ACL, then the _SUCCESS marker.
func deliver(t *testing.T, env []string, ep, bucket string, datasetID int64, folder string, files ...string) {
	t.Helper()
	const aws = "/usr/bin/aws"
	marker := filepath.Join(t.TempDir(), "_SUCCESS")
	writeFile(t, marker, nil)
	for _, f := range append(files, marker) {
		runCmd(t, env, aws, "--endpoint-url", ep, "s3", "cp", f,
			"s3://"+bucket+"/"+deliveryKey(datasetID, folder, filepath.Base(f)), "--acl", "bucket-owner-full-control")
	}
}

// readReceipt reads a receipt with the partner's credentials.
func readReceipt(t *testing.T, env []string, ep, bucket string, datasetID int64, folder string) ingestReceipt {
	t.Helper()
	out := runCmd(t, env, "/usr/bin/aws", "--endpoint-url", ep, "s3", "cp", "s3://"+bucket+"/"+receiptKey(datasetID, folder), "-")
	var rc ingestReceipt
	decodeOut(t, out, &rc)
	return rc
}

func gzipFile(t *testing.T, path string, b []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
}

// parquetRows reads a Parquet file with parquet-go, each value formatted
// with %v (nil for NULL), sorted.
func parquetRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("parquet-go cannot open the export: %v", err)
	}
	var rows [][]string
	buf := make([]parquet.Row, 64)
	for _, rg := range pf.RowGroups() {
		rr := rg.Rows()
		for range 1 << 20 {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				row := make([]string, len(r))
				for i, v := range r {
					switch {
					case v.IsNull():
						row[i] = "<nil>"
					case v.Kind() == parquet.ByteArray:
						row[i] = string(v.ByteArray())
					case v.Kind() == parquet.Int64:
						row[i] = strconv.FormatInt(v.Int64(), 10)
					case v.Kind() == parquet.Double:
						row[i] = strconv.FormatFloat(v.Double(), 'g', -1, 64)
					default:
						row[i] = v.String()
					}
				}
				rows = append(rows, row)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("parquet-go read: %v", err)
			}
		}
		rr.Close()
	}
	return sortedRows(rows)
}

// TestIngestEndToEnd follows deliveries from a partner using the real AWS
// CLI to a tenant reading the dataset with the inlet CLI: CSV and gzip,
// rejects, receipts the partner reads back, a repeated trigger, an
// overwrite dataset, JSON Lines, Parquet, the role source and the export.
func TestIngestEndToEnd(t *testing.T) {
	const aws = "/usr/bin/aws"
	need(t, aws)
	s := startServer(t)
	ep := s.endpoint("http")
	dir := t.TempDir()
	tn := newTenant(t, s, "Acme")

	orders := tn.dataset(t, `{"name":"orders","fields":[
		{"name":"id","type":"long","required":true},
		{"name":"email","type":"string","validations":{"regex":"^[^@]+@[^@]+$"}},
		{"name":"total","type":"double","validations":{"min":0}}],
		"file":{"format":"csv","header":true},"max_reject_ratio":0.5}`)
	bp := tn.source(t, "--aws-account-id", "222222222222", "--resource-id", "acme-partner")
	in := tn.instructions(t, bp)
	if in.PartnerPolicy == "" {
		t.Fatalf("no partner policy in the instructions")
	}
	partner := newAccount(t, s, "partner", "222222222222")
	writer := partner.user(t, "writer", in.PartnerPolicy)

	// A CSV and a gzipped CSV.
	first := filepath.Join(dir, "orders-1.csv")
	writeFile(t, first, []byte("id,email,total\n1,ann@example.com,10.5\n2,bob@example.com,0\n"))
	second := filepath.Join(dir, "orders-2.csv.gz")
	gzipFile(t, second, []byte("id,email,total\r\n3,\"cy@example.com\",7.25\r\n4,,\r\n"))
	deliver(t, writer, in.Endpoint, bp.Bucket, orders, "2025-01-15", first, second)
	run := tn.waitIngest(t, orders, "2025-01-15", 30*time.Second)
	wantCommitted(t, run)
	if run.RowsAccepted != 4 || run.RowsRejected != 0 || run.FilesTotal != 2 {
		t.Errorf("ingestion = %+v; want 4 rows from 2 files", run)
	}
	firstRows := [][]string{
		{"1", "ann@example.com", "10.5"}, {"2", "bob@example.com", "0"},
		{"3", "cy@example.com", "7.25"}, {"4", "<nil>", "<nil>"},
	}
	wantRowsE2E(t, "after the first delivery", tn.rowsOf(t, orders), firstRows)

	rc := readReceipt(t, writer, ep, bp.Bucket, orders, "2025-01-15")
	if rc.Status != "committed" || rc.RunID != run.ID || rc.SnapshotID != run.SnapshotID || rc.RowsAccepted != 4 || len(rc.Files) != 2 {
		t.Errorf("receipt = %+v; want committed, run %d, snapshot %d, 4 rows, 2 files", rc, run.ID, run.SnapshotID)
	}

	// The same folder again: a conflict naming the snapshot.
	_, stderr, err := tn.try(t, "ingest", "trigger", "--dataset", strconv.FormatInt(orders, 10),
		"--source", strconv.FormatInt(bp.ID, 10), "--folder", "2025-01-15")
	if err == nil || !strings.Contains(stderr, "already ingested") || !strings.Contains(stderr, fmt.Sprintf("snapshot %d", run.SnapshotID)) {
		t.Errorf("trigger of an ingested folder: err %v, stderr %q; want a conflict naming snapshot %d", err, stderr, run.SnapshotID)
	}

	// Case 23, step 3: a partner's `aws s3 sync` of a folder, run again,
	// uploads nothing (Size and LastModified in the listing are right: the
	// files were written a second before the first sync, not backdated),
	// and the unchanged folder is not ingested again.
	syncDS := tn.dataset(t, `{"name":"synced","fields":[
		{"name":"id","type":"long","required":true},{"name":"email","type":"string"},{"name":"total","type":"double"}],
		"file":{"format":"csv","header":true}}`)
	syncDir := filepath.Join(dir, "sync")
	if err := os.MkdirAll(syncDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(syncDir, "s1.csv"), []byte("id,email,total\n20,sy@example.com,1\n"))
	writeFile(t, filepath.Join(syncDir, "s2.csv"), []byte("id,email,total\n21,sz@example.com,2\n"))
	time.Sleep(1100 * time.Millisecond)
	syncTarget := "s3://" + bp.Bucket + "/" + deliveryKey(syncDS, "2025-01-20", "")
	out := runCmd(t, writer, aws, "--endpoint-url", ep, "s3", "sync", syncDir, syncTarget, "--acl", "bucket-owner-full-control")
	if n := strings.Count(out, "upload:"); n != 2 {
		t.Errorf("first sync uploaded %d files; want 2:\n%s", n, out)
	}
	deliver(t, writer, ep, bp.Bucket, syncDS, "2025-01-20")
	synced := tn.waitIngest(t, syncDS, "2025-01-20", 30*time.Second)
	wantCommitted(t, synced)
	out = runCmd(t, writer, aws, "--endpoint-url", ep, "s3", "sync", syncDir, syncTarget, "--acl", "bucket-owner-full-control")
	if strings.Contains(out, "upload:") {
		t.Errorf("the second sync uploaded again:\n%s", out)
	}
	time.Sleep(3 * time.Second) // past the runner's quiet time after a write into an ingested folder
	var list struct {
		Ingestions []ingestRun `json:"ingestions"`
	}
	decodeOut(t, tn.run(t, "ingest", "list", "--dataset", strconv.FormatInt(syncDS, 10), "--json"), &list)
	runsOfFolder := 0
	for _, r := range list.Ingestions {
		if r.Folder == "2025-01-20" {
			runsOfFolder++
		}
	}
	if runsOfFolder != 1 {
		t.Errorf("the synced folder has %d runs after the second sync; want 1", runsOfFolder)
	}

	// Bad rows under the threshold: 3 of 7.
	bad := filepath.Join(dir, "bad.csv")
	writeFile(t, bad, []byte("id,email,total\n5,dee@example.com,1\nsix,eve@example.com,2\n7,not-an-email,3\n"+
		"8,fay@example.com,-4\n9,gus@example.com,5\n10,hal@example.com,6\n11,ida@example.com,7\n"))
	deliver(t, writer, ep, bp.Bucket, orders, "2025-01-16", bad)
	run = tn.waitIngest(t, orders, "2025-01-16", 30*time.Second)
	wantCommitted(t, run)
	wantRejects := []rejectLine{
		{Line: 3, Field: "id", Value: "six", Reason: "not an integer"},
		{Line: 4, Field: "email", Value: "not-an-email", Reason: "does not match regex ^[^@]+@[^@]+$"},
		{Line: 5, Field: "total", Value: "-4", Reason: "below min 0"},
	}
	var shown ingestRun
	decodeOut(t, tn.run(t, "ingest", "show", strconv.FormatInt(run.ID, 10), "--json"), &shown)
	if shown.RowsAccepted != 4 || shown.RowsRejected != 3 || len(shown.Files) != 1 || !reflect.DeepEqual(shown.Files[0].FirstRejects, wantRejects) {
		t.Errorf("ingest show = %+v; want 4 rows and the rejects %+v", shown, wantRejects)
	}
	text := tn.run(t, "ingest", "show", strconv.FormatInt(run.ID, 10))
	for _, want := range []string{"line 3, field id: not an integer", "line 4, field email: does not match regex", "line 5, field total: below min 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("ingest show lacks %q:\n%s", want, text)
		}
	}
	rc = readReceipt(t, writer, ep, bp.Bucket, orders, "2025-01-16")
	if rc.Status != "committed" || rc.RowsRejected != 3 || len(rc.Files) != 1 || !reflect.DeepEqual(rc.Files[0].FirstRejects, wantRejects) {
		t.Errorf("receipt = %+v; want the 3 rejects", rc)
	}
	report := tn.run(t, "ingest", "rejects", strconv.FormatInt(run.ID, 10))
	if n := strings.Count(strings.TrimSpace(report), "\n") + 1; n != 3 || !strings.Contains(report, `"six"`) {
		t.Errorf("ingest rejects: %d lines; want 3:\n%s", n, report)
	}
	allOrders := append(slices.Clone(firstRows),
		[]string{"5", "dee@example.com", "1"}, []string{"9", "gus@example.com", "5"},
		[]string{"10", "hal@example.com", "6"}, []string{"11", "ida@example.com", "7"})
	wantRowsE2E(t, "after the delivery with rejects", tn.rowsOf(t, orders), allOrders)

	// The export, read by parquet-go.
	export := filepath.Join(dir, "orders.parquet")
	tn.run(t, "dataset", "export", strconv.FormatInt(orders, 10), "--format", "parquet", "-o", export)
	wantRowsE2E(t, "parquet export", parquetRows(t, export), allOrders)

	// An overwrite dataset shows the newest file set only.
	daily := tn.dataset(t, `{"name":"daily","fields":[
		{"name":"sku","type":"string","required":true},{"name":"qty","type":"long"}],
		"file":{"format":"csv","header":true},"write_mode":"overwrite"}`)
	d1, d2 := filepath.Join(dir, "d1", "stock.csv"), filepath.Join(dir, "d2", "stock.csv")
	os.MkdirAll(filepath.Dir(d1), 0o755)
	os.MkdirAll(filepath.Dir(d2), 0o755)
	writeFile(t, d1, []byte("sku,qty\na,1\nb,2\nc,3\n"))
	writeFile(t, d2, []byte("sku,qty\nx,9\ny,8\n"))
	deliver(t, writer, ep, bp.Bucket, daily, "2025-01-15", d1)
	wantCommitted(t, tn.waitIngest(t, daily, "2025-01-15", 30*time.Second))
	deliver(t, writer, ep, bp.Bucket, daily, "2025-01-16", d2)
	wantCommitted(t, tn.waitIngest(t, daily, "2025-01-16", 30*time.Second))
	wantRowsE2E(t, "overwrite", tn.rowsOf(t, daily), [][]string{{"x", "9"}, {"y", "8"}})

	// JSON Lines, with a decimal as a number and as a string.
	events := tn.dataset(t, `{"name":"events","fields":[
		{"name":"id","type":"long","required":true},{"name":"kind","type":"string"},
		{"name":"at","type":"timestamptz"},{"name":"amount","type":"decimal(10, 2)"}],"file":{"format":"jsonl"}}`)
	jl := filepath.Join(dir, "events.jsonl")
	writeFile(t, jl, []byte(`{"id":1,"kind":"open","at":"2025-01-15T10:00:00.5Z","amount":12.5}`+"\n"+
		`{"id":2,"kind":null,"at":"1969-12-31T23:59:59.999999Z","amount":"-0.05"}`+"\n"+`{"id":3,"extra":true}`+"\n"))
	deliver(t, writer, ep, bp.Bucket, events, "2025-01-15", jl)
	run = tn.waitIngest(t, events, "2025-01-15", 30*time.Second)
	wantCommitted(t, run)
	wantRowsE2E(t, "jsonl", tn.rowsOf(t, events), [][]string{
		{"1", "open", "2025-01-15T10:00:00.500000Z", "12.50"},
		{"2", "<nil>", "1969-12-31T23:59:59.999999Z", "-0.05"},
		{"3", "<nil>", "<nil>", "<nil>"},
	})
	if len(run.Files) != 1 || !reflect.DeepEqual(run.Files[0].UnknownFields, []string{"extra"}) {
		t.Errorf("jsonl ingestion files = %+v; want the unknown field extra named", run.Files)
	}

	// Parquet, written here with parquet-go.
	metrics := tn.dataset(t, `{"name":"metrics","fields":[
		{"name":"id","type":"long","required":true},{"name":"name","type":"string"},
		{"name":"score","type":"double"},{"name":"at","type":"timestamptz"}],"file":{"format":"parquet"}}`)
	type metricRow struct {
		ID    int64     `parquet:"id"`
		Name  *string   `parquet:"name,optional"`
		Score float64   `parquet:"score"`
		At    time.Time `parquet:"at,timestamp(microsecond)"`
	}
	alpha := "alpha"
	pq := filepath.Join(dir, "metrics.parquet")
	err = parquet.WriteFile(pq, []metricRow{
		{ID: 1, Name: &alpha, Score: 0.25, At: time.Date(2025, 1, 15, 10, 0, 0, 123456000, time.UTC)},
		{ID: 2, Score: -3, At: time.Date(1960, 6, 1, 0, 0, 0, 0, time.UTC)},
	})
	if err != nil {
		t.Fatalf("write parquet: %v", err)
	}
	deliver(t, writer, ep, bp.Bucket, metrics, "2025-01-15", pq)
	wantCommitted(t, tn.waitIngest(t, metrics, "2025-01-15", 30*time.Second))
	wantRowsE2E(t, "parquet", tn.rowsOf(t, metrics), [][]string{
		{"1", "alpha", "0.25", "2025-01-15T10:00:00.123456Z"}, {"2", "<nil>", "-3", "1960-06-01T00:00:00.000000Z"},
	})

	// The role source: a partner user assumes the platform's role with the
	// external id and delivers with the session.
	const extID = "EXT-e2e-4711"
	role := tn.source(t, "--aws-account-id", "222222222222", "--resource-id", "acme-role",
		"--access-type", "iam_role", "--external-id", extID)
	rin := tn.instructions(t, role)
	assumer := partner.user(t, "assumer", rin.AssumeRolePolicy)
	out = runCmd(t, assumer, aws, "--endpoint-url", ep, "sts", "assume-role", "--role-arn", rin.RoleARN,
		"--role-session-name", "delivery", "--external-id", extID, "--output", "json")
	var res struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	decodeOut(t, out, &res)
	session := withKeys(t, res.Credentials.AccessKeyId, res.Credentials.SecretAccessKey, res.Credentials.SessionToken)
	d3 := filepath.Join(dir, "d3", "stock.csv")
	os.MkdirAll(filepath.Dir(d3), 0o755)
	writeFile(t, d3, []byte("sku,qty\nrole,42\n"))
	deliver(t, session, ep, role.Bucket, daily, "2025-01-17", d3)
	wantCommitted(t, tn.waitIngest(t, daily, "2025-01-17", 30*time.Second))
	wantRowsE2E(t, "role delivery", tn.rowsOf(t, daily), [][]string{{"role", "42"}})
	if rc := readReceipt(t, session, ep, role.Bucket, daily, "2025-01-17"); rc.Status != "committed" || rc.RowsAccepted != 1 {
		t.Errorf("role receipt = %+v; want committed with 1 row", rc)
	}
}

// TestIngestCrash kills the server with SIGKILL while a ~200 MB file set
// is being ingested, restarts it on the same data directory and checks
// that the file set is committed exactly once with every row.
func TestIngestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("a 200 MB ingestion")
	}
	const aws = "/usr/bin/aws"
	need(t, aws)
	start := time.Now()
	s := startServer(t)
	tn := newTenant(t, s, "Acme")
	ds := tn.dataset(t, `{"name":"big","fields":[
		{"name":"id","type":"long","required":true},{"name":"name","type":"string","required":true},
		{"name":"amount","type":"double"},{"name":"day","type":"date"}],
		"file":{"format":"csv","header":true}}`)
	src := tn.source(t, "--aws-account-id", "222222222222", "--resource-id", "acme-big")

	// 4 files of 650,000 rows, about 50 MB each.
	const files, perFile = 4, 650000
	const total = files * perFile
	dir := filepath.Join(t.TempDir(), "big")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("abcdefghij", 3)
	var size int64
	for i := range files {
		path := filepath.Join(dir, fmt.Sprintf("part-%d.csv", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString("id,name,amount,day\n")
		for j := range perFile {
			id := i*perFile + j + 1
			fmt.Fprintf(w, "%d,customer-%08d-%s,%d.%02d,2025-%02d-%02d\n", id, id, pad, id%100000, id%100, id%12+1, id%28+1)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		size += st.Size()
		f.Close()
	}
	t.Logf("generated %d rows, %d MB, in %v", total, size>>20, time.Since(start).Round(time.Millisecond))

	// The platform uploads them, then the marker.
	platform := s.clientEnv(t, "http")
	prefix := "s3://" + src.Bucket + "/" + deliveryKey(ds, "big", "")
	runCmd(t, platform, aws, "--endpoint-url", s.endpoint("http"), "s3", "cp", dir, prefix, "--recursive", "--only-show-errors")
	marker := filepath.Join(t.TempDir(), "_SUCCESS")
	writeFile(t, marker, nil)
	runCmd(t, platform, aws, "--endpoint-url", s.endpoint("http"), "s3", "cp", marker, prefix+"_SUCCESS")
	t.Logf("uploaded after %v", time.Since(start).Round(time.Millisecond))

	// Kill the server once the run has read a file.
	deadline := time.Now().Add(2 * time.Minute)
	var cur ingestRun
	for {
		var ok bool
		cur, ok = tn.folderRun(t, ds, "big")
		if ok && cur.Status == "running" && cur.BytesDone > 0 {
			break
		}
		if ok && (cur.Status == "committed" || cur.Status == "failed") {
			t.Fatalf("the run finished before the kill: %+v", cur)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not progress: %+v", cur)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var shown ingestRun
	decodeOut(t, tn.run(t, "ingest", "show", strconv.FormatInt(cur.ID, 10), "--json"), &shown)
	t.Logf("kill -9 with run %d %s, %d of %d bytes, after %v", shown.ID, shown.Status, shown.BytesDone, shown.BytesTotal,
		time.Since(start).Round(time.Millisecond))
	s.kill()
	s.restart()

	run := tn.waitIngest(t, ds, "big", 150*time.Second)
	t.Logf("run %d %s after %v", run.ID, run.Status, time.Since(start).Round(time.Millisecond))
	wantCommitted(t, run)
	if run.ID != cur.ID || run.RowsAccepted != total || run.RowsRejected != 0 || run.FilesDone != files {
		t.Errorf("run after the restart = %+v; want run %d with %d rows from %d files", run, cur.ID, total, files)
	}

	// Exactly one snapshot carries the file set.
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/datasets/%d/snapshots", s.consoleURL, ds), nil)
	req.Header.Set("Authorization", "Bearer "+tn.token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Snapshots []struct {
			ID      int64             `json:"id,string"`
			Summary map[string]string `json:"summary"`
		} `json:"snapshots"`
	}
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("snapshots: %s, %v", resp.Status, err)
	}
	carrying := 0
	for _, sn := range info.Snapshots {
		if strings.HasSuffix(sn.Summary["inlet.file-set"], "/datasetId="+strconv.FormatInt(ds, 10)+"/big/") {
			carrying++
		}
	}
	if carrying != 1 || len(info.Snapshots) != 1 || info.Snapshots[0].ID != run.SnapshotID {
		t.Errorf("snapshots = %+v; want exactly one, %d, carrying the file set", info.Snapshots, run.SnapshotID)
	}
	// The data file the killed run was writing is gone: the data directory
	// holds the snapshot's files and no other, so that a reader globbing it
	// counts every row once.
	if len(info.Snapshots) == 1 {
		dataDir := filepath.Join(s.dataDir, "warehouse", "inlet.db", fmt.Sprintf("dataset_%d", ds), "data")
		found, _ := filepath.Glob(filepath.Join(dataDir, "*.parquet"))
		if want := info.Snapshots[0].Summary["total-data-files"]; strconv.Itoa(len(found)) != want {
			t.Errorf("%d Parquet files in %s; the snapshot holds %s", len(found), dataDir, want)
		}
	}

	// Every id once, with its own row.
	export := filepath.Join(t.TempDir(), "big.csv")
	tn.run(t, "dataset", "export", strconv.FormatInt(ds, 10), "--format", "csv", "-o", export)
	f, err := os.Open(export)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := make([]bool, total+1)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines, dups, wrong := 0, 0, 0
	for sc.Scan() {
		lines++
		if lines == 1 {
			continue // header
		}
		fields := strings.Split(sc.Text(), ",")
		id, err := strconv.Atoi(fields[0])
		if err != nil || id < 1 || id > total || len(fields) != 4 {
			wrong++
			continue
		}
		if seen[id] {
			dups++
		}
		seen[id] = true
		if fields[1] != fmt.Sprintf("customer-%08d-%s", id, pad) {
			wrong++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	missingIDs := 0
	for id := 1; id <= total; id++ {
		if !seen[id] {
			missingIDs++
		}
	}
	if lines-1 != total || dups != 0 || wrong != 0 || missingIDs != 0 {
		t.Errorf("export: %d rows, %d duplicate ids, %d missing, %d wrong; want %d rows, each id once", lines-1, dups, missingIDs, wrong, total)
	}
	t.Logf("checked after %v", time.Since(start).Round(time.Millisecond))
}
