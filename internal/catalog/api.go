// Package catalog keeps the Dataset Manager's records: tenants (companies),
// their users and API tokens, datasets with their schemas and file
// configurations, and managed-bucket sources. Everything is scoped to a
// tenant: a tenant's lookups never return another tenant's records.
package catalog

import (
	"context"
	"errors"
	"time"
)

// Errors. The REST front maps them to HTTP statuses.
var (
	ErrNotFound     = errors.New("catalog: not found")           // 404
	ErrConflict     = errors.New("catalog: conflict")            // 409
	ErrUnauthorized = errors.New("catalog: invalid credentials") // 401
)

// ValidationError is a rejected input: the field (JSON path, e.g.
// "fields[2].type") and what is wrong with it. The REST front answers 400.
type ValidationError struct {
	Field   string
	Message string
}

// Error returns "field: message".
func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Tenant is a company using the platform.
type Tenant struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person of a tenant who signs in to the web UI.
type User struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// Token is an API token. Its secret is shown once, when created; only a
// hash is stored.
type Token struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"` // 0 for the operator's admin token
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"` // first characters of the secret, to recognise it
	CreatedAt time.Time `json:"created_at"`
}

// Caller is who an API request comes from.
type Caller struct {
	Admin    bool  // the operator: may manage tenants
	TenantID int64 // set for tenant tokens and users
	TokenID  int64
	UserID   int64
}

// Field types.
const (
	TypeString      = "string"
	TypeLong        = "long"
	TypeDouble      = "double"
	TypeBoolean     = "boolean"
	TypeDate        = "date"
	TypeTimestampTZ = "timestamptz"

	// TypeDecimal is the base name of the decimal types, written
	// decimal(P,S): P digits in all, S of them after the point, with
	// 1 <= P <= 18 and 0 <= S <= P (see [ParseDecimal]).
	TypeDecimal = "decimal"
)

// Field is one column of a dataset's schema.
type Field struct {
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	Required    bool         `json:"required,omitempty"`
	Description string       `json:"description,omitempty"`
	Validations *Validations `json:"validations,omitempty"`
}

// Validations are the checks a field's values must pass.
type Validations struct {
	Enum      []string `json:"enum,omitempty"`
	Regex     string   `json:"regex,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	MinLength *int     `json:"min_length,omitempty"`
	MaxLength *int     `json:"max_length,omitempty"`

	// minText and maxText are min and max as the spec's JSON wrote them:
	// exact where a float64 is not, for a long bound past 2^53 or a decimal
	// one of 16 digits or more (see bounds.go).
	minText, maxText string
}

// File formats and compressions.
const (
	FormatCSV       = "csv"
	FormatTSV       = "tsv"
	FormatDelimited = "delimited"
	FormatJSONL     = "jsonl"
	FormatParquet   = "parquet"
)

// FileConfig says how delivered files are read.
type FileConfig struct {
	Format      string `json:"format"`
	Delimiter   string `json:"delimiter,omitempty"`   // one ASCII character; csv "," and tsv "\t" by default
	Quote       string `json:"quote,omitempty"`       // one ASCII character, default `"`; "none" turns quoting off
	Header      bool   `json:"header"`                // the first line names the fields
	NullMarker  string `json:"null_marker,omitempty"` // e.g. `\N`; an unquoted empty field is null anyway
	Compression string `json:"compression,omitempty"` // auto (default), none, gzip, zstd
}

// Write modes.
const (
	WriteAppend    = "append"
	WriteOverwrite = "overwrite"
)

// DatasetSpec is what a tenant gives to create a dataset.
type DatasetSpec struct {
	Name           string     `json:"name"`
	Description    string     `json:"description,omitempty"`
	Fields         []Field    `json:"fields"`
	File           FileConfig `json:"file"`
	WriteMode      string     `json:"write_mode,omitempty"`       // append (default) or overwrite
	MaxRejectRatio float64    `json:"max_reject_ratio,omitempty"` // 0..1; default 0
}

// Dataset is a tenant's dataset. Its id appears in ingestion paths
// (datasetId=ID).
type Dataset struct {
	ID       int64 `json:"id"`
	TenantID int64 `json:"tenant_id"`
	DatasetSpec
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Access types of a managed bucket.
const (
	AccessBucketPolicy = "bucket_policy"
	AccessIAMRole      = "iam_role"
)

// Source statuses.
const (
	StatusProvisioning = "provisioning"
	StatusActive       = "active"
	StatusFailed       = "failed"
	StatusDeleting     = "deleting"
)

// Source is a managed-bucket source of a tenant.
type Source struct {
	ID           int64     `json:"id"`
	TenantID     int64     `json:"tenant_id"`
	Type         string    `json:"type"` // managed_s3_bucket
	AWSAccountID string    `json:"aws_account_id"`
	ResourceID   string    `json:"resource_id"`
	AccessType   string    `json:"access_type"`
	ExternalID   string    `json:"external_id,omitempty"`
	Bucket       string    `json:"bucket"`
	RoleName     string    `json:"role_name,omitempty"`
	RoleARN      string    `json:"role_arn,omitempty"`
	Region       string    `json:"region"`
	Endpoint     string    `json:"endpoint,omitempty"` // the cloud endpoint partners use; empty for AWS
	Status       string    `json:"status"`
	Error        string    `json:"error,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// The store's operations, implemented in the package's other files.
var _ interface {
	CreateTenant(ctx context.Context, name string) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	GetTenant(ctx context.Context, id int64) (Tenant, error)

	// CreateUser stores a user with an argon2id hash of the password
	// (at least 12 characters). Emails are unique across tenants.
	CreateUser(ctx context.Context, tenantID int64, email, password string) (User, error)
	// AuthenticateUser checks a password; wrong ones are ErrUnauthorized.
	AuthenticateUser(ctx context.Context, email, password string) (User, error)

	// CreateToken makes an API token for a tenant (tenantID 0: an admin
	// token) and returns its secret, shown only now.
	CreateToken(ctx context.Context, tenantID int64, name string) (Token, string, error)
	// Resolve returns the caller a token secret belongs to, or
	// ErrUnauthorized.
	Resolve(ctx context.Context, secret string) (Caller, error)
	// EnsureAdminToken writes a new admin token to path (0600) when the file
	// does not exist, and reports whether it did.
	EnsureAdminToken(ctx context.Context, path string) (bool, error)

	// ValidateDatasetSpec normalises a spec (defaults filled in) and
	// reports the first problem as a *ValidationError.
	CreateDataset(ctx context.Context, tenantID int64, spec DatasetSpec) (Dataset, error)
	ListDatasets(ctx context.Context, tenantID int64) ([]Dataset, error)
	GetDataset(ctx context.Context, tenantID, id int64) (Dataset, error)
	// UpdateDataset changes name and/or description (nil leaves as is).
	UpdateDataset(ctx context.Context, tenantID, id int64, name, description *string) (Dataset, error)
	// DeleteDataset refuses (ErrConflict) while the tenant has sources that
	// are not deleted, unless force.
	DeleteDataset(ctx context.Context, tenantID, id int64, force bool) error

	// CreateSource records a source in status provisioning. The resource
	// id must be unused (ErrConflict), across all tenants.
	CreateSource(ctx context.Context, s Source) (Source, error)
	GetSource(ctx context.Context, tenantID, id int64) (Source, error)
	ListSources(ctx context.Context, tenantID int64) ([]Source, error)
	// UpdateSource saves status, error and the provisioned names of a
	// source (by s.ID and s.TenantID).
	UpdateSource(ctx context.Context, s Source) (Source, error)
	DeleteSource(ctx context.Context, tenantID, id int64) error
	// SourceByBucket finds the source owning a bucket (any tenant).
	SourceByBucket(ctx context.Context, bucket string) (Source, error)
} = (*Store)(nil)
