package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"inlet/internal/catalog"
	"inlet/internal/cloud"
	"inlet/internal/credfile"
	"inlet/internal/meta"
	"inlet/internal/provision"
	"inlet/internal/tables"
)

const testRegion = "us-east-1"

// flakyProvisioner is the real provisioner, except that it fails the next
// Provision call when asked to, so that retries can be tested.
type flakyProvisioner struct {
	*provision.Provisioner
	failNext atomic.Bool
}

func (f *flakyProvisioner) Provision(ctx context.Context, s provision.Spec) (provision.Result, error) {
	if f.failNext.CompareAndSwap(true, false) {
		return provision.Result{}, errors.New("injected provisioning failure")
	}
	return f.Provisioner.Provision(ctx, s)
}

// testEnv is the embedded cloud and the API over it, both on loopback
// httptest servers, sharing one metadata database.
type testEnv struct {
	api      *httptest.Server
	cloudURL string
	admin    string // the operator's admin token
	platform string // the platform account id
	s3       *s3.Client
	iam      *iam.Client
	prov     *flakyProvisioner
	tables   *testTables
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)

	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), quiet)
	if err != nil {
		t.Fatalf("meta.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := cloud.Open(ctx, cloud.Options{DataDir: dir, Region: testRegion, Logger: quiet, DB: db})
	if err != nil {
		t.Fatalf("cloud.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("cloud.Close: %v", err)
		}
	})
	cloudSrv := httptest.NewServer(c.Handler())
	t.Cleanup(cloudSrv.Close)

	id, secret := platformKey(t, filepath.Join(dir, "credentials"))
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	ep := aws.String(cloudSrv.URL)
	e := &testEnv{
		cloudURL: cloudSrv.URL,
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = ep
			o.UsePathStyle = true
		}),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep })
	e.prov = &flakyProvisioner{Provisioner: provision.New(provision.Cloud{
		S3: e.s3, IAM: e.iam, STS: stsClient,
		Region: testRegion, Endpoint: cloudSrv.URL, Embedded: true,
	}, quiet)}
	if e.platform, err = e.prov.PlatformAccountID(ctx); err != nil {
		t.Fatalf("PlatformAccountID: %v", err)
	}

	cat, err := catalog.Open(ctx, db)
	if err != nil {
		t.Fatalf("catalog.Open: %v", err)
	}
	tokenPath := filepath.Join(dir, "admin-token")
	if _, err := cat.EnsureAdminToken(ctx, tokenPath); err != nil {
		t.Fatalf("EnsureAdminToken: %v", err)
	}
	b, err := os.ReadFile(tokenPath)
	if err != nil {
		t.Fatalf("read admin token: %v", err)
	}
	e.admin = strings.TrimSpace(string(b))

	tbl, err := tables.Open(ctx, db.SQL(), filepath.Join(dir, "warehouse"), quiet)
	if err != nil {
		t.Fatalf("tables.Open: %v", err)
	}
	t.Cleanup(func() { tbl.Close() })
	e.tables = &testTables{Catalog: tbl}

	e.api = httptest.NewServer(New(Config{
		Catalog: cat, Provisioner: e.prov, Tables: e.tables, Region: testRegion, Endpoint: cloudSrv.URL, Logger: quiet,
	}))
	t.Cleanup(e.api.Close)
	return e
}

// platformKey reads the [default] key of an AWS shared credentials file.
func platformKey(t *testing.T, path string) (id, secret string) {
	t.Helper()
	id, secret, err := credfile.Read(path, "")
	if err != nil {
		t.Fatalf("read credentials: %v", err)
	}
	return id, secret
}

// reply is one API answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// apiErr is the error shape of every failed request.
type apiErr struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (r reply) err(t *testing.T) apiErr {
	t.Helper()
	var e struct {
		Error *apiErr `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == nil {
		t.Fatalf("reply %d is not an API error: %v: %s", r.status, err, r.body)
	}
	return *e.Error
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode reply %d: %v: %s", r.status, err, r.body)
	}
}

// do sends a request with the bearer token (none when empty); a string
// body is sent as is, anything else as JSON.
func (e *testEnv) do(t *testing.T, method, path, token string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.api.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.api.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// must sends a request and fails the test unless it answers want; it
// decodes the reply into out when out is non-nil.
func (e *testEnv) must(t *testing.T, want int, method, path, token string, body, out any) reply {
	t.Helper()
	r := e.do(t, method, path, token, body)
	if r.status != want {
		t.Fatalf("%s %s: status %d; want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		r.decode(t, out)
	}
	return r
}

type tenantCreated struct {
	Tenant catalog.Tenant `json:"tenant"`
	Token  struct {
		ID       int64  `json:"id"`
		TenantID int64  `json:"tenant_id"`
		Secret   string `json:"secret"`
	} `json:"token"`
}

// newTenant creates a tenant as the operator and returns it with its
// first token.
func (e *testEnv) newTenant(t *testing.T, name string) (int64, string) {
	t.Helper()
	var out tenantCreated
	e.must(t, 201, "POST", "/api/v1/tenants", e.admin, map[string]string{"name": name}, &out)
	if out.Tenant.ID == 0 || out.Tenant.Name != name || out.Token.TenantID != out.Tenant.ID || out.Token.Secret == "" {
		t.Fatalf("create tenant %q: %+v", name, out)
	}
	return out.Tenant.ID, out.Token.Secret
}

// fullSpec is a valid dataset spec using every property of the schema.
const fullSpec = `{
	"name": "orders",
	"description": "Orders of the shop",
	"fields": [
		{"name": "id", "type": "long", "required": true, "description": "order id",
		 "validations": {"min": 1, "max": 1000000}},
		{"name": "email", "type": "string",
		 "validations": {"regex": "^[^@]+@[^@]+$", "min_length": 3, "max_length": 200}},
		{"name": "status", "type": "string", "validations": {"enum": ["new", "paid"]}},
		{"name": "total", "type": "double"},
		{"name": "paid", "type": "boolean"},
		{"name": "day", "type": "date"},
		{"name": "at", "type": "timestamptz"}
	],
	"file": {"format": "delimited", "delimiter": ";", "quote": "'", "header": true,
	         "null_marker": "\\N", "compression": "gzip"},
	"write_mode": "overwrite",
	"max_reject_ratio": 0.05
}`

func (e *testEnv) newDataset(t *testing.T, token, name string) catalog.Dataset {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"fields":[{"name":"a","type":"string"}],"file":{"format":"csv","header":true}}`, name)
	var d catalog.Dataset
	e.must(t, 201, "POST", "/api/v1/datasets", token, body, &d)
	return d
}

func (e *testEnv) newSource(t *testing.T, token string, in map[string]string) catalog.Source {
	t.Helper()
	var src catalog.Source
	e.must(t, 201, "POST", "/api/v1/sources", token, in, &src)
	return src
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestTenantsUsersTokens(t *testing.T) {
	e := newTestEnv(t)
	tid, tok := e.newTenant(t, "Acme")

	// The operator lists tenants; a tenant may not.
	var list struct {
		Tenants []catalog.Tenant `json:"tenants"`
	}
	e.must(t, 200, "GET", "/api/v1/tenants", e.admin, nil, &list)
	if len(list.Tenants) != 1 || list.Tenants[0].ID != tid || list.Tenants[0].Name != "Acme" {
		t.Errorf("tenant list = %+v; want Acme (%d)", list.Tenants, tid)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/v1/tenants", ""},
		{"POST", "/api/v1/tenants", `{"name":"Evil"}`},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := e.do(t, tc.method, tc.path, tok, body)
		if got, want := r.status, 403; got != want {
			t.Errorf("tenant token %s %s: status %d; want %d: %s", tc.method, tc.path, got, want, r.body)
		}
	}

	// Who am I.
	var me struct {
		Admin    bool  `json:"admin"`
		TenantID int64 `json:"tenant_id"`
	}
	e.must(t, 200, "GET", "/api/v1/me", tok, nil, &me)
	if me.Admin || me.TenantID != tid {
		t.Errorf("me (tenant) = %+v; want tenant %d, not admin", me, tid)
	}
	e.must(t, 200, "GET", "/api/v1/me", e.admin, nil, &me)
	if !me.Admin || me.TenantID != 0 {
		t.Errorf("me (admin) = %+v; want admin", me)
	}

	// A tenant sees itself; the admin sees any tenant.
	var ten catalog.Tenant
	e.must(t, 200, "GET", "/api/v1/tenants/"+id(tid), tok, nil, &ten)
	if ten.ID != tid || ten.Name != "Acme" {
		t.Errorf("get tenant = %+v", ten)
	}
	e.must(t, 200, "GET", "/api/v1/tenants/"+id(tid), e.admin, nil, nil)

	// A second token works like the first.
	var tok2 struct {
		TenantID int64  `json:"tenant_id"`
		Name     string `json:"name"`
		Prefix   string `json:"prefix"`
		Secret   string `json:"secret"`
	}
	e.must(t, 201, "POST", "/api/v1/tenants/"+id(tid)+"/tokens", tok, `{"name":"ci"}`, &tok2)
	if tok2.TenantID != tid || tok2.Name != "ci" || tok2.Secret == "" || !strings.HasPrefix(tok2.Secret, tok2.Prefix) {
		t.Errorf("token created = %+v", tok2)
	}
	e.must(t, 200, "GET", "/api/v1/me", tok2.Secret, nil, &me)
	if me.TenantID != tid {
		t.Errorf("me with the second token: tenant %d; want %d", me.TenantID, tid)
	}

	// Users; the password is never echoed.
	r := e.must(t, 201, "POST", "/api/v1/tenants/"+id(tid)+"/users", tok,
		`{"email":"ops@acme.example","password":"correct horse battery"}`, nil)
	var u map[string]any
	r.decode(t, &u)
	if u["email"] != "ops@acme.example" || u["tenant_id"] != float64(tid) {
		t.Errorf("user created = %v", u)
	}
	if bytes.Contains(r.body, []byte("correct horse")) || u["password"] != nil {
		t.Errorf("user reply shows the password: %s", r.body)
	}

	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		field                           string
	}{
		{"tenant without name", "POST", "/api/v1/tenants", e.admin, `{"name":""}`, 400, "name"},
		{"tenant unknown field", "POST", "/api/v1/tenants", e.admin, `{"name":"X","plan":"gold"}`, 400, "plan"},
		{"tenant name taken", "POST", "/api/v1/tenants", e.admin, `{"name":"acme"}`, 409, ""},
		{"token without name", "POST", "/api/v1/tenants/" + id(tid) + "/tokens", tok, `{"name":""}`, 400, "name"},
		{"token unknown field", "POST", "/api/v1/tenants/" + id(tid) + "/tokens", tok, `{"name":"x","ttl":3}`, 400, "ttl"},
		{"user short password", "POST", "/api/v1/tenants/" + id(tid) + "/users", tok, `{"email":"a@acme.example","password":"short"}`, 400, "password"},
		{"user bad email", "POST", "/api/v1/tenants/" + id(tid) + "/users", tok, `{"email":"nope","password":"correct horse battery"}`, 400, "email"},
		{"user email taken", "POST", "/api/v1/tenants/" + id(tid) + "/users", tok, `{"email":"ops@acme.example","password":"correct horse battery"}`, 409, ""},
		{"user unknown field", "POST", "/api/v1/tenants/" + id(tid) + "/users", tok, `{"email":"b@acme.example","password":"correct horse battery","admin":true}`, 400, "admin"},
		{"unknown tenant", "GET", "/api/v1/tenants/999999", e.admin, "", 404, ""},
		{"tenant id not a number", "GET", "/api/v1/tenants/abc", e.admin, "", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := e.do(t, tc.method, tc.path, tc.token, body)
			if got, want := r.status, tc.status; got != want {
				t.Fatalf("status %d; want %d: %s", got, want, r.body)
			}
			if got, want := r.err(t).Field, tc.field; got != want {
				t.Errorf("error field %q; want %q: %s", got, want, r.body)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	for _, tc := range []struct {
		name   string
		header string // Authorization; "" sends none
		method string
		path   string
		status int
		code   string
	}{
		{"no header", "", "GET", "/api/v1/datasets", 401, "unauthenticated"},
		{"no header on admin endpoint", "", "POST", "/api/v1/tenants", 401, "unauthenticated"},
		{"empty bearer", "Bearer ", "GET", "/api/v1/datasets", 401, "unauthenticated"},
		{"basic scheme", "Basic " + tok, "GET", "/api/v1/datasets", 401, "unauthenticated"},
		{"unknown token", "Bearer inlet_0000000000000000000000000000000000000000", "GET", "/api/v1/sources", 401, "unauthenticated"},
		{"malformed token", "Bearer not-a-token", "GET", "/api/v1/me", 401, "unauthenticated"},
		{"token with a character changed", "Bearer " + tok[:len(tok)-1] + flip(tok[len(tok)-1]), "GET", "/api/v1/me", 401, "unauthenticated"},
		{"admin on datasets list", "Bearer " + e.admin, "GET", "/api/v1/datasets", 403, "permission_denied"},
		{"admin on dataset create", "Bearer " + e.admin, "POST", "/api/v1/datasets", 403, "permission_denied"},
		{"admin on dataset get", "Bearer " + e.admin, "GET", "/api/v1/datasets/1", 403, "permission_denied"},
		{"admin on sources list", "Bearer " + e.admin, "GET", "/api/v1/sources", 403, "permission_denied"},
		{"admin on source create", "Bearer " + e.admin, "POST", "/api/v1/sources", 403, "permission_denied"},
		{"admin on instructions", "Bearer " + e.admin, "GET", "/api/v1/sources/1/instructions", 403, "permission_denied"},
		{"tenant on tenant list", "Bearer " + tok, "GET", "/api/v1/tenants", 403, "permission_denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.api.URL+tc.path, strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := e.api.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			r := reply{status: resp.StatusCode, body: b}
			if got, want := r.status, tc.status; got != want {
				t.Fatalf("status %d; want %d: %s", got, want, b)
			}
			if got, want := r.err(t).Code, tc.code; got != want {
				t.Errorf("error code %q; want %q", got, want)
			}
		})
	}
	// The OpenAPI document needs no token.
	e.must(t, 200, "GET", "/api/v1/openapi.json", "", nil, nil)
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestDatasets(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")

	var d catalog.Dataset
	e.must(t, 201, "POST", "/api/v1/datasets", tok, fullSpec, &d)
	if d.ID == 0 || d.Name != "orders" || len(d.Fields) != 7 || d.File.Delimiter != ";" || d.WriteMode != "overwrite" ||
		d.MaxRejectRatio != 0.05 || d.CreatedAt.IsZero() {
		t.Errorf("created dataset = %+v", d)
	}
	var got catalog.Dataset
	e.must(t, 200, "GET", "/api/v1/datasets/"+id(d.ID), tok, nil, &got)
	if got.ID != d.ID || got.Name != d.Name || len(got.Fields) != len(d.Fields) {
		t.Errorf("get dataset = %+v; want %+v", got, d)
	}

	// Defaults are filled in.
	var csv catalog.Dataset
	e.must(t, 201, "POST", "/api/v1/datasets", tok,
		`{"name":"Plain","fields":[{"name":"a","type":"STRING"}],"file":{"format":"csv"}}`, &csv)
	if csv.File.Delimiter != "," || csv.File.Quote != `"` || csv.File.Compression != "auto" ||
		csv.WriteMode != "append" || csv.Fields[0].Type != "string" {
		t.Errorf("defaults of a csv dataset: %+v", csv)
	}

	var list struct {
		Datasets []catalog.Dataset `json:"datasets"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets", tok, nil, &list)
	if len(list.Datasets) != 2 {
		t.Errorf("list: %d datasets; want 2", len(list.Datasets))
	}

	e.must(t, 200, "PATCH", "/api/v1/datasets/"+id(d.ID), tok, `{"name":"orders-v2","description":"new"}`, &got)
	if got.Name != "orders-v2" || got.Description != "new" || len(got.Fields) != 7 {
		t.Errorf("patched dataset = %+v", got)
	}
	r := e.do(t, "PATCH", "/api/v1/datasets/"+id(d.ID), tok, `{"fields":[]}`)
	if r.status != 400 || r.err(t).Field != "fields" {
		t.Errorf("PATCH with fields: %d %s; want 400 naming fields", r.status, r.body)
	}
	r = e.do(t, "PATCH", "/api/v1/datasets/"+id(d.ID), tok, `{"name":"plain"}`)
	if r.status != 409 {
		t.Errorf("PATCH to a taken name: %d %s; want 409", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/datasets", tok, `{"name":"ORDERS-V2","fields":[{"name":"a","type":"string"}],"file":{"format":"csv"}}`)
	if r.status != 409 {
		t.Errorf("create with a taken name: %d %s; want 409", r.status, r.body)
	}

	// Deleting refuses while the tenant has sources, unless forced.
	e.newSource(t, tok, map[string]string{"aws_account_id": "222222222222", "resource_id": "ds-test"})
	r = e.do(t, "DELETE", "/api/v1/datasets/"+id(csv.ID), tok, nil)
	if r.status != 409 {
		t.Errorf("delete dataset while sources exist: %d %s; want 409", r.status, r.body)
	}
	e.must(t, 204, "DELETE", "/api/v1/datasets/"+id(csv.ID)+"?force=true", tok, nil, nil)
	e.must(t, 404, "GET", "/api/v1/datasets/"+id(csv.ID), tok, nil, nil)
}

func TestDatasetValidation(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	spec := func(fields, file, extra string) string {
		return `{"name":"d","fields":[` + fields + `],"file":` + file + extra + `}`
	}
	const (
		okField = `{"name":"a","type":"string"}`
		csv     = `{"format":"csv"}`
	)
	for _, tc := range []struct {
		name  string
		body  string
		field string
		msg   string // part of the message
	}{
		{"missing name", `{"fields":[` + okField + `],"file":` + csv + `}`, "name", "required"},
		{"no fields", spec("", csv, ""), "fields", "at least one"},
		{"unknown type", spec(`{"name":"a","type":"varchar"}`, csv, ""), "fields[0].type", "unknown type"},
		{"missing type", spec(`{"name":"a"}`, csv, ""), "fields[0].type", "required"},
		{"bad field name", spec(`{"name":"1st","type":"string"}`, csv, ""), "fields[0].name", "invalid field name"},
		{"duplicate field names", spec(okField+`,{"name":"A","type":"long"}`, csv, ""), "fields[1].name", "duplicate"},
		{"bad regex", spec(`{"name":"a","type":"string","validations":{"regex":"(["}}`, csv, ""), "fields[0].validations.regex", "invalid regex"},
		{"min greater than max", spec(okField+`,{"name":"n","type":"long","validations":{"min":5,"max":1}}`, csv, ""), "fields[1].validations.min", "greater than"},
		{"min_length greater than max_length", spec(`{"name":"a","type":"string","validations":{"min_length":5,"max_length":1}}`, csv, ""), "fields[0].validations.min_length", "greater than"},
		{"negative max_length", spec(`{"name":"a","type":"string","validations":{"max_length":-1}}`, csv, ""), "fields[0].validations.max_length", "negative"},
		{"enum on a number", spec(`{"name":"a","type":"long","validations":{"enum":["1"]}}`, csv, ""), "fields[0].validations.enum", "only to string"},
		{"min on a string", spec(`{"name":"a","type":"string","validations":{"min":1}}`, csv, ""), "fields[0].validations.min", "only to long, double and decimal"},
		{"empty enum", spec(`{"name":"a","type":"string","validations":{"enum":[]}}`, csv, ""), "fields[0].validations.enum", "empty"},
		{"duplicate enum value", spec(`{"name":"a","type":"string","validations":{"enum":["x","x"]}}`, csv, ""), "fields[0].validations.enum[1]", "duplicate"},
		{"unknown format", spec(okField, `{"format":"xml"}`, ""), "file.format", "unknown format"},
		{"missing format", spec(okField, `{}`, ""), "file.format", "required"},
		{"two-character delimiter", spec(okField, `{"format":"delimited","delimiter":";;"}`, ""), "file.delimiter", "exactly one character"},
		{"newline delimiter", spec(okField, `{"format":"delimited","delimiter":"\n"}`, ""), "file.delimiter", "line break"},
		{"delimited without delimiter", spec(okField, `{"format":"delimited"}`, ""), "file.delimiter", "required"},
		{"tsv with a comma", spec(okField, `{"format":"tsv","delimiter":","}`, ""), "file.delimiter", "tab"},
		{"quote equals delimiter", spec(okField, `{"format":"csv","quote":","}`, ""), "file.quote", "differ"},
		{"header on parquet", spec(okField, `{"format":"parquet","header":true}`, ""), "file.header", "not allowed"},
		{"delimiter on jsonl", spec(okField, `{"format":"jsonl","delimiter":","}`, ""), "file.delimiter", "not allowed"},
		{"unknown compression", spec(okField, `{"format":"csv","compression":"rar"}`, ""), "file.compression", "unknown compression"},
		{"null marker with delimiter", spec(okField, `{"format":"csv","null_marker":"a,b"}`, ""), "file.null_marker", "delimiter"},
		{"unknown write mode", spec(okField, csv, `,"write_mode":"upsert"`), "write_mode", "unknown write mode"},
		{"reject ratio above 1", spec(okField, csv, `,"max_reject_ratio":1.5`), "max_reject_ratio", "out of range"},
		{"negative reject ratio", spec(okField, csv, `,"max_reject_ratio":-0.1`), "max_reject_ratio", "out of range"},
		{"reject ratio not a number", spec(okField, csv, `,"max_reject_ratio":"high"`), "max_reject_ratio", ""},
		{"unknown top-level field", spec(okField, csv, `,"colour":"red"`), "colour", "unknown field"},
		{"unknown field of a field", spec(`{"name":"a","type":"string","nullable":true}`, csv, ""), "nullable", "unknown field"},
		{"unknown field of file", spec(okField, `{"format":"csv","encoding":"latin1"}`, ""), "encoding", "unknown field"},
		{"not JSON", `{"name":}`, "", "not valid JSON"},
		{"truncated JSON", `{"name":`, "", ""},
		{"empty body", ``, "", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/datasets", tok, tc.body)
			if got, want := r.status, 400; got != want {
				t.Fatalf("status %d; want %d: %s", got, want, r.body)
			}
			er := r.err(t)
			if got, want := er.Code, "invalid_argument"; got != want {
				t.Errorf("code %q; want %q", got, want)
			}
			if got, want := er.Field, tc.field; got != want && !strings.HasSuffix(got, "."+want) {
				t.Errorf("field %q; want %q (message %q)", got, want, er.Message)
			}
			if !strings.Contains(er.Message, tc.msg) {
				t.Errorf("message %q lacks %q", er.Message, tc.msg)
			}
		})
	}
	var list struct {
		Datasets []catalog.Dataset `json:"datasets"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets", tok, nil, &list)
	if len(list.Datasets) != 0 {
		t.Errorf("rejected specs created %d datasets", len(list.Datasets))
	}
}

func TestSourceValidation(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	_, other := e.newTenant(t, "Globex")

	// The dashed account id is accepted and normalised; the resource id
	// is lower-cased with spaces turned into "-".
	src := e.newSource(t, tok, map[string]string{"aws_account_id": "1234-5678-9012", "resource_id": "Acme Partner"})
	if got, want := src.AWSAccountID, "123456789012"; got != want {
		t.Errorf("aws_account_id = %q; want %q", got, want)
	}
	if got, want := src.ResourceID, "acme-partner"; got != want {
		t.Errorf("resource_id = %q; want %q", got, want)
	}

	// The longest resource id still leaves room for the role name.
	long := strings.Repeat("r", provision.MaxResourceIDLen)
	lsrc := e.newSource(t, tok, map[string]string{"aws_account_id": " 2222 2222 2222 ", "resource_id": long,
		"access_type": "iam_role", "external_id": "ab"})
	if lsrc.Status != "active" || lsrc.AWSAccountID != "222222222222" || len(lsrc.RoleName) > provision.MaxRoleNameLen {
		t.Errorf("source with the longest resource id = %+v; want active", lsrc)
	}

	for _, tc := range []struct {
		name   string
		token  string
		body   string
		status int
		field  string
		msg    string
	}{
		{"account id too short", tok, `{"aws_account_id":"1234-5678-901","resource_id":"r1"}`, 400, "aws_account_id", "12 digits"},
		{"account id too long", tok, `{"aws_account_id":"1234567890123","resource_id":"r1"}`, 400, "aws_account_id", "12 digits"},
		{"account id with letters", tok, `{"aws_account_id":"12345678901a","resource_id":"r1"}`, 400, "aws_account_id", "digits"},
		{"account id missing", tok, `{"resource_id":"r1"}`, 400, "aws_account_id", ""},
		{"the platform's own account", tok, `{"aws_account_id":"` + e.platform + `","resource_id":"r1"}`, 400, "aws_account_id", "platform's own account"},
		{"resource id with underscore", tok, `{"aws_account_id":"222222222222","resource_id":"Acme_Corp"}`, 400, "resource_id", `"acme_corp"`},
		{"resource id with punctuation", tok, `{"aws_account_id":"222222222222","resource_id":"Acme  Corp!"}`, 400, "resource_id", `"acme-corp!"`},
		{"resource id with dot", tok, `{"aws_account_id":"222222222222","resource_id":"acme.corp"}`, 400, "resource_id", `"acme.corp"`},
		{"resource id starting with -", tok, `{"aws_account_id":"222222222222","resource_id":"-acme"}`, 400, "resource_id", `"-acme"`},
		{"resource id too long", tok, `{"aws_account_id":"222222222222","resource_id":"` + strings.Repeat("a", provision.MaxResourceIDLen+1) + `"}`, 400, "resource_id", "long"},
		{"resource id missing", tok, `{"aws_account_id":"222222222222"}`, 400, "resource_id", "empty"},
		{"unknown access type", tok, `{"aws_account_id":"222222222222","resource_id":"r1","access_type":"public"}`, 400, "access_type", "public"},
		{"external id with bucket_policy", tok, `{"aws_account_id":"222222222222","resource_id":"r1","access_type":"bucket_policy","external_id":"EXT-1"}`, 400, "external_id", "iam_role"},
		{"external id with default access type", tok, `{"aws_account_id":"222222222222","resource_id":"r1","external_id":"EXT-1"}`, 400, "external_id", "iam_role"},
		{"external id too short", tok, `{"aws_account_id":"222222222222","resource_id":"r1","access_type":"iam_role","external_id":"x"}`, 400, "external_id", "2 to 1224"},
		{"external id with space", tok, `{"aws_account_id":"222222222222","resource_id":"r1","access_type":"iam_role","external_id":"bad id"}`, 400, "external_id", "allowed"},
		{"unknown field", tok, `{"aws_account_id":"222222222222","resource_id":"r1","bucket":"mine"}`, 400, "bucket", "unknown field"},
		{"account id not a string", tok, `{"aws_account_id":222222222222,"resource_id":"r1"}`, 400, "aws_account_id", ""},
		{"resource id in use", tok, `{"aws_account_id":"222222222222","resource_id":"acme-partner"}`, 409, "resource_id", "acme-partner"},
		{"resource id in use, other spelling", tok, `{"aws_account_id":"222222222222","resource_id":"ACME   PARTNER"}`, 409, "resource_id", "acme-partner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/sources", tc.token, tc.body)
			if got, want := r.status, tc.status; got != want {
				t.Fatalf("status %d; want %d: %s", got, want, r.body)
			}
			er := r.err(t)
			if got, want := er.Field, tc.field; got != want {
				t.Errorf("field %q; want %q (message %q)", got, want, er.Message)
			}
			if !strings.Contains(er.Message, tc.msg) {
				t.Errorf("message %q lacks %q", er.Message, tc.msg)
			}
		})
	}
	var list struct {
		Sources []catalog.Source `json:"sources"`
	}
	e.must(t, 200, "GET", "/api/v1/sources", tok, nil, &list)
	if len(list.Sources) != 2 {
		t.Errorf("rejected requests left %d sources; want 2", len(list.Sources))
	}
	// A resource id is the tenant's own: another tenant may use it, and
	// learns nothing of the first one's partners.
	theirs := e.newSource(t, other, map[string]string{"aws_account_id": "333333333333", "resource_id": "Acme Partner"})
	if theirs.ResourceID != "acme-partner" || theirs.Bucket == src.Bucket {
		t.Errorf("other tenant's source = %+v; want acme-partner with a bucket of its own", theirs)
	}
	e.must(t, 200, "GET", "/api/v1/sources", other, nil, &list)
	if len(list.Sources) != 1 {
		t.Errorf("the other tenant has %d sources; want its own 1", len(list.Sources))
	}
}

var bucketRE = regexp.MustCompile(`^inlet-([a-z0-9-]+)-[a-z0-9]{8}$`)

func TestSourceLifecycle(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	_, tok := e.newTenant(t, "Acme")
	ds := e.newDataset(t, tok, "orders")

	bp := e.newSource(t, tok, map[string]string{"aws_account_id": "2222-2222-2222", "resource_id": "Acme BP"})
	role := e.newSource(t, tok, map[string]string{"aws_account_id": "222222222222", "resource_id": "acme-role",
		"access_type": "iam_role", "external_id": "EXT-42"})
	plainRole := e.newSource(t, tok, map[string]string{"aws_account_id": "222222222222", "resource_id": "acme-role2",
		"access_type": "iam_role"})

	for _, tc := range []struct {
		src    catalog.Source
		rid    string
		access string
		ext    string
	}{
		{bp, "acme-bp", "bucket_policy", ""},
		{role, "acme-role", "iam_role", "EXT-42"},
		{plainRole, "acme-role2", "iam_role", ""},
	} {
		t.Run(tc.rid, func(t *testing.T) {
			s := tc.src
			if s.Status != "active" || s.Error != "" {
				t.Fatalf("status %q (error %q); want active", s.Status, s.Error)
			}
			if m := bucketRE.FindStringSubmatch(s.Bucket); m == nil || m[1] != tc.rid {
				t.Errorf("bucket %q; want inlet-%s-XXXXXXXX", s.Bucket, tc.rid)
			}
			if s.AccessType != tc.access || s.ExternalID != tc.ext || s.AWSAccountID != "222222222222" ||
				s.Type != "managed_s3_bucket" || s.Region != testRegion || s.Endpoint != e.cloudURL {
				t.Errorf("source = %+v", s)
			}
			wantARN := ""
			if tc.access == "iam_role" {
				wantARN = "arn:aws:iam::" + e.platform + ":role/" + s.Bucket + "-access"
			}
			if s.RoleARN != wantARN {
				t.Errorf("role_arn %q; want %q", s.RoleARN, wantARN)
			}
			if _, err := e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
				t.Errorf("the bucket is not in the cloud: %v", err)
			}
			var got catalog.Source
			e.must(t, 200, "GET", "/api/v1/sources/"+id(s.ID), tok, nil, &got)
			if got.Bucket != s.Bucket || got.Status != "active" || got.RoleARN != s.RoleARN {
				t.Errorf("GET = %+v; want %+v", got, s)
			}

			// Instructions, as JSON and as text.
			var in provision.Instructions
			e.must(t, 200, "GET", "/api/v1/sources/"+id(s.ID)+"/instructions", tok, nil, &in)
			if in.Bucket != s.Bucket || in.Endpoint != e.cloudURL || in.AccessType != tc.access || in.RoleARN != s.RoleARN {
				t.Errorf("instructions = bucket %q endpoint %q access %q role %q", in.Bucket, in.Endpoint, in.AccessType, in.RoleARN)
			}
			folder := "s3://" + s.Bucket + "/ingestion/datasets/version=1/datasetId=DATASET_ID/FOLDER/"
			for _, part := range []string{folder, "--acl bucket-owner-full-control", "--endpoint-url " + e.cloudURL} {
				if !strings.Contains(in.WriteCommand, part) {
					t.Errorf("write command %q lacks %q", in.WriteCommand, part)
				}
			}
			if tc.access == "bucket_policy" {
				if !strings.Contains(in.PartnerPolicy, "arn:aws:s3:::"+s.Bucket+"/*") || in.AssumeRolePolicy != "" {
					t.Errorf("bucket_policy instructions: partner policy %q, assume-role policy %q", in.PartnerPolicy, in.AssumeRolePolicy)
				}
			} else if !strings.Contains(in.AssumeRolePolicy, s.RoleARN) || in.PartnerPolicy != "" || in.EndpointSTS == nil {
				t.Errorf("iam_role instructions: assume-role policy %q, partner policy %q", in.AssumeRolePolicy, in.PartnerPolicy)
			}

			r := e.must(t, 200, "GET", "/api/v1/sources/"+id(s.ID)+"/instructions?format=text", tok, nil, nil)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("text instructions Content-Type %q", ct)
			}
			text := string(r.body)
			if text != in.Text {
				t.Errorf("text instructions differ from the JSON's text field")
			}
			for _, part := range []string{s.Bucket, e.cloudURL, "bucket-owner-full-control"} {
				if !strings.Contains(text, part) {
					t.Errorf("text instructions lack %q", part)
				}
			}
			hasExtLine := strings.Contains(text, "external_id = ")
			hasExtFlag := strings.Contains(text, "--external-id")
			if want := tc.ext != ""; hasExtLine != want || hasExtFlag != want {
				t.Errorf("external id in text: line %v, flag %v; want %v", hasExtLine, hasExtFlag, want)
			}
			if tc.ext != "" && !strings.Contains(text, "external_id = "+tc.ext+"\n") {
				t.Errorf("text instructions lack the line external_id = %s", tc.ext)
			}

			// A dataset id fills in the placeholder.
			e.must(t, 200, "GET", "/api/v1/sources/"+id(s.ID)+"/instructions?dataset="+id(ds.ID), tok, nil, &in)
			if want := "datasetId=" + id(ds.ID) + "/FOLDER/"; !strings.Contains(in.WriteCommand, want) {
				t.Errorf("write command %q lacks %q", in.WriteCommand, want)
			}
			r = e.do(t, "GET", "/api/v1/sources/"+id(s.ID)+"/instructions?dataset=abc", tok, nil)
			if r.status != 400 || r.err(t).Field != "dataset" {
				t.Errorf("instructions?dataset=abc: %d %s; want 400 naming dataset", r.status, r.body)
			}
			e.must(t, 404, "GET", "/api/v1/sources/"+id(s.ID)+"/instructions?dataset=999999", tok, nil, nil)

			// Retrying an active source changes nothing.
			e.must(t, 200, "POST", "/api/v1/sources/"+id(s.ID)+"/retry", tok, nil, &got)
			if got.Status != "active" || got.Bucket != s.Bucket {
				t.Errorf("retry of an active source = %+v", got)
			}
		})
	}

	t.Run("delete", func(t *testing.T) {
		key := "ingestion/datasets/version=1/datasetId=1/2024-05-01/file.csv"
		_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bp.Bucket), Key: aws.String(key),
			Body: strings.NewReader("a\n1\n")})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		r := e.do(t, "DELETE", "/api/v1/sources/"+id(bp.ID), tok, nil)
		if r.status != 409 || r.err(t).Code != "conflict" || !strings.Contains(r.err(t).Message, bp.Bucket) {
			t.Fatalf("delete of a non-empty source: %d %s; want 409 naming the bucket", r.status, r.body)
		}
		e.must(t, 200, "GET", "/api/v1/sources/"+id(bp.ID), tok, nil, nil)
		if _, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bp.Bucket), Key: aws.String(key)}); err != nil {
			t.Errorf("the refused delete lost the object: %v", err)
		}
		e.must(t, 204, "DELETE", "/api/v1/sources/"+id(bp.ID)+"?force=true", tok, nil, nil)
		e.must(t, 404, "GET", "/api/v1/sources/"+id(bp.ID), tok, nil, nil)
		if _, err := e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bp.Bucket)}); err == nil {
			t.Errorf("bucket %s still exists after the forced delete", bp.Bucket)
		}

		// An empty iam_role source goes without force, with its role.
		e.must(t, 204, "DELETE", "/api/v1/sources/"+id(role.ID), tok, nil, nil)
		if _, err := e.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role.RoleName)}); err == nil {
			t.Errorf("role %s still exists after the delete", role.RoleName)
		}
		if _, err := e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(role.Bucket)}); err == nil {
			t.Errorf("bucket %s still exists after the delete", role.Bucket)
		}
		// The resource id is free again.
		e.newSource(t, tok, map[string]string{"aws_account_id": "222222222222", "resource_id": "acme-bp"})
	})
}

func TestSourceRetry(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	e.prov.failNext.Store(true)
	src := e.newSource(t, tok, map[string]string{"aws_account_id": "222222222222", "resource_id": "flaky",
		"access_type": "iam_role", "external_id": "EXT-1"})
	if src.Status != "failed" || !strings.Contains(src.Error, "injected") || src.RoleARN != "" {
		t.Fatalf("source after a failed provisioning = %+v; want failed with the error", src)
	}
	r := e.do(t, "GET", "/api/v1/sources/"+id(src.ID)+"/instructions", tok, nil)
	if r.status != 409 {
		t.Errorf("instructions of a failed source: %d %s; want 409", r.status, r.body)
	}
	var got catalog.Source
	e.must(t, 200, "POST", "/api/v1/sources/"+id(src.ID)+"/retry", tok, nil, &got)
	if got.Status != "active" || got.Error != "" || got.Bucket != src.Bucket ||
		got.RoleARN != "arn:aws:iam::"+e.platform+":role/"+src.Bucket+"-access" {
		t.Errorf("source after the retry = %+v; want active with its role", got)
	}
	e.must(t, 200, "GET", "/api/v1/sources/"+id(src.ID)+"/instructions", tok, nil, nil)
}

func TestCrossTenant(t *testing.T) {
	e := newTestEnv(t)
	aID, a := e.newTenant(t, "Acme")
	_, b := e.newTenant(t, "Globex")
	ds := e.newDataset(t, a, "orders")
	src := e.newSource(t, a, map[string]string{"aws_account_id": "222222222222", "resource_id": "acme-only"})
	dsPath, srcPath := "/api/v1/datasets/"+id(ds.ID), "/api/v1/sources/"+id(src.ID)

	for _, tc := range []struct{ method, path, body string }{
		{"GET", dsPath, ""},
		{"PATCH", dsPath, `{"name":"stolen"}`},
		{"DELETE", dsPath, ""},
		{"DELETE", dsPath + "?force=true", ""},
		{"GET", srcPath, ""},
		{"DELETE", srcPath, ""},
		{"DELETE", srcPath + "?force=true", ""},
		{"POST", srcPath + "/retry", ""},
		{"GET", srcPath + "/instructions", ""},
		{"GET", srcPath + "/instructions?format=text", ""},
		{"GET", "/api/v1/tenants/" + id(aID), ""},
		{"POST", "/api/v1/tenants/" + id(aID) + "/tokens", `{"name":"stolen"}`},
		{"POST", "/api/v1/tenants/" + id(aID) + "/users", `{"email":"x@globex.example","password":"correct horse battery"}`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := e.do(t, tc.method, tc.path, b, body)
			if got, want := r.status, 404; got != want {
				t.Fatalf("status %d; want %d: %s", got, want, r.body)
			}
			if bytes.Contains(r.body, []byte(src.Bucket)) || bytes.Contains(r.body, []byte("orders")) {
				t.Errorf("the 404 reveals the other tenant's records: %s", r.body)
			}
		})
	}
	// B's own dataset can't point the instructions at A's source either.
	dsB := e.newDataset(t, b, "mine")
	e.must(t, 404, "GET", srcPath+"/instructions?dataset="+id(dsB.ID), b, nil, nil)
	// Nor A's instructions at B's dataset.
	e.must(t, 404, "GET", srcPath+"/instructions?dataset="+id(dsB.ID), a, nil, nil)

	// Nothing of A changed.
	var got catalog.Dataset
	e.must(t, 200, "GET", dsPath, a, nil, &got)
	if got.Name != "orders" {
		t.Errorf("A's dataset name %q after B's PATCH; want orders", got.Name)
	}
	var s catalog.Source
	e.must(t, 200, "GET", srcPath, a, nil, &s)
	if s.Status != "active" {
		t.Errorf("A's source status %q; want active", s.Status)
	}
	var dl struct {
		Datasets []catalog.Dataset `json:"datasets"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets", b, nil, &dl)
	if len(dl.Datasets) != 1 || dl.Datasets[0].ID != dsB.ID {
		t.Errorf("B's dataset list = %+v; want only its own", dl.Datasets)
	}
	var sl struct {
		Sources []catalog.Source `json:"sources"`
	}
	e.must(t, 200, "GET", "/api/v1/sources", b, nil, &sl)
	if len(sl.Sources) != 0 {
		t.Errorf("B's source list = %+v; want empty", sl.Sources)
	}
}

// openAPI is the part of the OpenAPI document the tests read.
type openAPI struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
	Comps   struct {
		Schemas map[string]*jsonSchema `json:"schemas"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string           `json:"operationId"`
	Security    []map[string]any `json:"security"`
	RequestBody *struct {
		Content map[string]struct {
			Schema *jsonSchema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema *jsonSchema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type jsonSchema struct {
	Ref                  string                 `json:"$ref"`
	Type                 string                 `json:"type"`
	Properties           map[string]*jsonSchema `json:"properties"`
	Items                *jsonSchema            `json:"items"`
	AdditionalProperties *jsonSchema            `json:"additionalProperties"`
}

func (d *openAPI) resolve(t *testing.T, s *jsonSchema) *jsonSchema {
	t.Helper()
	for s != nil && s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		next := d.Comps.Schemas[name]
		if !ok || next == nil {
			t.Fatalf("unresolvable $ref %q", s.Ref)
		}
		s = next
	}
	return s
}

// conform checks that v, decoded JSON, has only properties the schema
// names, with the schema's types, and records the property paths seen.
func (d *openAPI) conform(t *testing.T, s *jsonSchema, v any, path string, seen map[string]bool) {
	t.Helper()
	s = d.resolve(t, s)
	if s == nil {
		t.Errorf("%s: no schema", path)
		return
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %T; the schema says object", path, v)
			return
		}
		for k, val := range m {
			if s.AdditionalProperties != nil {
				d.conform(t, s.AdditionalProperties, val, path+"."+k, seen)
				continue
			}
			ps, ok := s.Properties[k]
			if !ok {
				t.Errorf("%s: property %q is not in the schema", path, k)
				continue
			}
			seen[path+"."+k] = true
			d.conform(t, ps, val, path+"."+k, seen)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			t.Errorf("%s: %T; the schema says array", path, v)
			return
		}
		for _, item := range a {
			d.conform(t, s.Items, item, path+"[]", seen)
		}
	case "string":
		if _, ok := v.(string); !ok {
			t.Errorf("%s: %T; the schema says string", path, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: %T; the schema says boolean", path, v)
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			t.Errorf("%s: %v; the schema says integer", path, v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			t.Errorf("%s: %T; the schema says number", path, v)
		}
	default:
		t.Errorf("%s: schema without a known type: %+v", path, s)
	}
}

// unseen lists the schema's property paths not in seen.
func (d *openAPI) unseen(t *testing.T, s *jsonSchema, path string, seen map[string]bool) []string {
	t.Helper()
	s = d.resolve(t, s)
	var out []string
	switch {
	case s.Type == "object" && s.Properties != nil:
		for k, ps := range s.Properties {
			p := path + "." + k
			if !seen[p] {
				out = append(out, p)
				continue
			}
			out = append(out, d.unseen(t, ps, p, seen)...)
		}
	case s.Type == "array":
		out = append(out, d.unseen(t, s.Items, path+"[]", seen)...)
	}
	sort.Strings(out)
	return out
}

func (e *testEnv) openAPI(t *testing.T) *openAPI {
	t.Helper()
	var d openAPI
	r := e.must(t, 200, "GET", "/api/v1/openapi.json", "", nil, &d)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("openapi.json Content-Type %q", r.header.Get("Content-Type"))
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") || len(d.Paths) == 0 || len(d.Comps.Schemas) == 0 {
		t.Fatalf("not an OpenAPI 3 document: %s", r.body)
	}
	return &d
}

// documented are endpoints the API promises (it may have more).
var documented = []string{
	"GET /api/v1/openapi.json",
	"GET /api/v1/me",
	"POST /api/v1/tenants",
	"GET /api/v1/tenants",
	"GET /api/v1/tenants/{tenant}",
	"POST /api/v1/tenants/{tenant}/users",
	"POST /api/v1/tenants/{tenant}/tokens",
	"POST /api/v1/datasets",
	"GET /api/v1/datasets",
	"GET /api/v1/datasets/{dataset}",
	"PATCH /api/v1/datasets/{dataset}",
	"DELETE /api/v1/datasets/{dataset}",
	"POST /api/v1/sources",
	"GET /api/v1/sources",
	"GET /api/v1/sources/{source}",
	"DELETE /api/v1/sources/{source}",
	"POST /api/v1/sources/{source}/retry",
	"GET /api/v1/sources/{source}/instructions",
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newTestEnv(t)
	d := e.openAPI(t)

	var inDoc []string
	ops := map[string]string{}
	for p, methods := range d.Paths {
		for m, op := range methods {
			ep := strings.ToUpper(m) + " " + p
			inDoc = append(inDoc, ep)
			if prev, dup := ops[op.OperationID]; dup || op.OperationID == "" {
				t.Errorf("operationId %q of %s is empty or also used by %s", op.OperationID, ep, prev)
			}
			ops[op.OperationID] = ep
		}
	}
	var inTable []string
	for _, r := range routes {
		inTable = append(inTable, r.Method+" "+r.Pattern)
	}
	want := slices.Clone(documented)
	for _, l := range [][]string{inDoc, inTable, want} {
		sort.Strings(l)
	}
	if !slices.Equal(inDoc, inTable) {
		t.Errorf("document endpoints\n%v\nroute table\n%v", inDoc, inTable)
	}
	for _, ep := range want {
		if !slices.Contains(inDoc, ep) {
			t.Errorf("%s is not in the document", ep)
		}
	}

	// Every documented operation is served by a handler: without a token it
	// answers 401 when the document says it needs one, and otherwise
	// anything but the catch-all's 404 or a 405.
	for p, methods := range d.Paths {
		for m, op := range methods {
			method := strings.ToUpper(m)
			t.Run(method+" "+p, func(t *testing.T) {
				r := e.do(t, method, pathParam.ReplaceAllString(p, "1"), "", nil)
				if r.status == 405 || r.status == 404 && bytes.Contains(r.body, []byte("no such endpoint")) {
					t.Fatalf("not served: %d %s", r.status, r.body)
				}
				secured := len(op.Security) > 0
				if got := r.status == 401; got != secured {
					t.Errorf("status %d without a token; document says security %v", r.status, op.Security)
				}
				for status, resp := range op.Responses {
					for _, c := range resp.Content {
						if d.resolve(t, c.Schema) == nil {
							t.Errorf("response %s has no schema", status)
						}
					}
				}
			})
		}
	}

	// And something not documented is the catch-all's 404.
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/nothing"},
		{"PUT", "/api/v1/datasets/1"},
		{"PATCH", "/api/v1/sources/1"},
	} {
		r := e.do(t, tc.method, tc.path, "", nil)
		if r.status != 404 || r.err(t).Code != "not_found" {
			t.Errorf("%s %s: %d %s; want the API's 404", tc.method, tc.path, r.status, r.body)
		}
	}
}

func TestOpenAPISchemasMatchReplies(t *testing.T) {
	e := newTestEnv(t)
	d := e.openAPI(t)
	schema := func(name string) *jsonSchema {
		s := d.Comps.Schemas[name]
		if s == nil {
			t.Fatalf("no schema %q in the document", name)
		}
		return s
	}
	// responseSchema is the documented success schema of an endpoint.
	responseSchema := func(method, path string) *jsonSchema {
		op, ok := d.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Fatalf("%s %s is not documented", method, path)
		}
		for status, r := range op.Responses {
			if strings.HasPrefix(status, "2") {
				return r.Content["application/json"].Schema
			}
		}
		t.Fatalf("%s %s documents no success reply", method, path)
		return nil
	}
	check := func(t *testing.T, s *jsonSchema, body []byte, name string, seen map[string]bool) {
		t.Helper()
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d.conform(t, s, v, name, seen)
	}

	// Replies of every documented JSON endpoint, from real records.
	r := e.do(t, "POST", "/api/v1/tenants", e.admin, `{"name":"Acme"}`)
	var tc tenantCreated
	r.decode(t, &tc)
	tid, tok := id(tc.Tenant.ID), tc.Token.Secret
	check(t, responseSchema("POST", "/api/v1/tenants"), r.body, "TenantCreated", map[string]bool{})

	datasetSeen := map[string]bool{}
	r = e.must(t, 201, "POST", "/api/v1/datasets", tok, fullSpec, nil)
	check(t, responseSchema("POST", "/api/v1/datasets"), r.body, "Dataset", datasetSeen)
	var ds catalog.Dataset
	r.decode(t, &ds)
	r = e.must(t, 200, "GET", "/api/v1/datasets/"+id(ds.ID), tok, nil, nil)
	check(t, schema("Dataset"), r.body, "Dataset", datasetSeen)
	// Every property of the spec, given in full, comes back; parts of a
	// dataset that need more than its creation (none of the spec's) may
	// be absent.
	spec := d.resolve(t, schema("DatasetSpec"))
	var missing []string
	for _, p := range d.unseen(t, schema("Dataset"), "Dataset", datasetSeen) {
		top, _, _ := strings.Cut(strings.TrimPrefix(p, "Dataset."), ".")
		top = strings.TrimSuffix(top, "[]")
		if spec.Properties[top] != nil || slices.Contains([]string{"id", "tenant_id", "created_at", "updated_at"}, top) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("Dataset schema properties never in a reply: %v", missing)
	}

	sourceSeen := map[string]bool{}
	e.prov.failNext.Store(true)
	r = e.must(t, 201, "POST", "/api/v1/sources", tok,
		`{"aws_account_id":"222222222222","resource_id":"schema-role","access_type":"iam_role","external_id":"EXT-9"}`, nil)
	check(t, responseSchema("POST", "/api/v1/sources"), r.body, "Source", sourceSeen) // failed: has error
	var role catalog.Source
	r.decode(t, &role)
	r = e.must(t, 200, "POST", "/api/v1/sources/"+id(role.ID)+"/retry", tok, nil, nil)
	check(t, responseSchema("POST", "/api/v1/sources/{source}/retry"), r.body, "Source", sourceSeen)
	r = e.must(t, 201, "POST", "/api/v1/sources", tok, `{"aws_account_id":"222222222222","resource_id":"schema-bp"}`, nil)
	check(t, schema("Source"), r.body, "Source", sourceSeen)
	var bp catalog.Source
	r.decode(t, &bp)
	r = e.must(t, 200, "GET", "/api/v1/sources/"+id(role.ID), tok, nil, nil)
	check(t, responseSchema("GET", "/api/v1/sources/{source}"), r.body, "Source", sourceSeen)
	if missing := d.unseen(t, schema("Source"), "Source", sourceSeen); len(missing) > 0 {
		t.Errorf("Source schema properties never in a reply: %v", missing)
	}

	for _, c := range []struct {
		method, path, route, token string
		body                       any
		status                     int
	}{
		{"GET", "/api/v1/me", "/api/v1/me", tok, nil, 200},
		{"GET", "/api/v1/me", "/api/v1/me", e.admin, nil, 200},
		{"GET", "/api/v1/tenants", "/api/v1/tenants", e.admin, nil, 200},
		{"GET", "/api/v1/tenants/" + tid, "/api/v1/tenants/{tenant}", tok, nil, 200},
		{"POST", "/api/v1/tenants/" + tid + "/users", "/api/v1/tenants/{tenant}/users", tok,
			`{"email":"dev@acme.example","password":"correct horse battery"}`, 201},
		{"POST", "/api/v1/tenants/" + tid + "/tokens", "/api/v1/tenants/{tenant}/tokens", tok, `{"name":"ci"}`, 201},
		{"GET", "/api/v1/datasets", "/api/v1/datasets", tok, nil, 200},
		{"PATCH", "/api/v1/datasets/" + id(ds.ID), "/api/v1/datasets/{dataset}", tok, `{"description":"d"}`, 200},
		{"GET", "/api/v1/datasets/" + id(ds.ID) + "/rows", "/api/v1/datasets/{dataset}/rows", tok, nil, 200},
		{"GET", "/api/v1/datasets/" + id(ds.ID) + "/snapshots", "/api/v1/datasets/{dataset}/snapshots", tok, nil, 200},
		{"GET", "/api/v1/sources", "/api/v1/sources", tok, nil, 200},
		{"GET", "/api/v1/sources/" + id(role.ID) + "/instructions", "/api/v1/sources/{source}/instructions", tok, nil, 200},
		{"GET", "/api/v1/sources/" + id(bp.ID) + "/instructions?dataset=" + id(ds.ID), "/api/v1/sources/{source}/instructions", tok, nil, 200},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := e.must(t, c.status, c.method, c.path, c.token, c.body, nil)
			check(t, responseSchema(c.method, c.route), r.body, c.route, map[string]bool{})
		})
	}

	// Error replies have the Error schema.
	for _, c := range []struct{ method, path, token, body string }{
		{"GET", "/api/v1/datasets", "", ""},
		{"POST", "/api/v1/datasets", tok, `{"name":"x"}`},
		{"GET", "/api/v1/sources/999999", tok, ""},
		{"POST", "/api/v1/sources", tok, `{"aws_account_id":"1"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := e.do(t, c.method, c.path, c.token, body)
		check(t, schema("Error"), r.body, "Error "+c.method+" "+c.path, map[string]bool{})
	}

	// Every property of a documented request body is accepted by its
	// handler (it may be invalid, but it is not an unknown field), and an
	// undocumented one is refused.
	for p, methods := range d.Paths {
		for m, op := range methods {
			if op.RequestBody == nil {
				continue
			}
			method := strings.ToUpper(m)
			s := d.resolve(t, op.RequestBody.Content["application/json"].Schema)
			url := strings.NewReplacer("{tenant}", tid, "{dataset}", id(ds.ID)).Replace(p)
			url = pathParam.ReplaceAllString(url, "1")
			token := tok
			if p == "/api/v1/tenants" {
				token = e.admin
			}
			t.Run("request "+method+" "+p, func(t *testing.T) {
				if len(s.Properties) == 0 {
					t.Fatalf("request schema without properties")
				}
				for name, ps := range s.Properties {
					body := map[string]any{name: zeroOf(d.resolve(t, ps))}
					r := e.do(t, method, url, token, body)
					if r.status >= 300 && strings.Contains(r.err(t).Message, "unknown field") {
						t.Errorf("documented property %q refused: %s", name, r.body)
					}
				}
				r := e.do(t, method, url, token, map[string]any{"zz_undocumented": 1})
				if r.status != 400 || r.err(t).Field != "zz_undocumented" {
					t.Errorf("undocumented property: %d %s; want 400 naming it", r.status, r.body)
				}
			})
		}
	}
}

// zeroOf is an empty value of a schema's type.
func zeroOf(s *jsonSchema) any {
	switch s.Type {
	case "object":
		return map[string]any{}
	case "array":
		return []any{}
	case "string":
		return ""
	case "boolean":
		return false
	}
	return 0
}

// TestSnapshotIDsAreStrings: Iceberg snapshot ids use 63 bits, past the
// 2^53 that JavaScript and jq 1.6 hold exactly, so the API sends them as
// strings and its document says so.
func TestSnapshotIDsAreStrings(t *testing.T) {
	d := newTestEnv(t).openAPI(t)
	found := 0
	var walk func(where string, s *jsonSchema)
	walk = func(where string, s *jsonSchema) {
		s = d.resolve(t, s)
		if s == nil {
			return
		}
		for name, p := range s.Properties {
			p := d.resolve(t, p)
			if name == "snapshot_id" || name == "current_snapshot_id" || strings.HasSuffix(where, "snapshots[]") && (name == "id" || name == "parent_id") {
				found++
				if p.Type != "string" {
					t.Errorf("%s.%s is %q in the document; want string", where, name, p.Type)
				}
			}
			walk(where+"."+name, p)
		}
		walk(where+"[]", s.Items)
	}
	for name, s := range d.Comps.Schemas {
		walk(name, s)
	}
	if found < 6 {
		t.Errorf("found %d snapshot id properties in the document; want the run's, the table's and a snapshot's id and parent", found)
	}

	b, err := json.Marshal(Snapshot{ID: 1<<62 + 1, ParentID: 1<<53 + 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"id":"4611686018427387905"`; !strings.Contains(string(b), want) || !strings.Contains(string(b), `"parent_id":"9007199254740993"`) {
		t.Errorf("snapshot JSON %s; want ids as strings", b)
	}
}
