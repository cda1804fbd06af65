package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"inlet/internal/meta"
)

// SourceManagedS3Bucket is the type of a managed-bucket source.
const SourceManagedS3Bucket = "managed_s3_bucket"

var (
	sourceStatuses = []string{StatusProvisioning, StatusActive, StatusFailed, StatusDeleting}
	accessTypes    = []string{AccessBucketPolicy, AccessIAMRole}
)

// maxSourceText bounds the free-text columns of a source.
const maxSourceText = 2048

const sourceColumns = `id, tenant_id, type, aws_account_id, resource_id, access_type, external_id,
	bucket, role_name, role_arn, region, endpoint, status, error, created_at, updated_at`

// CreateSource records a source of s.TenantID in status provisioning. Its
// resource id and its bucket (when set) must be unused across all tenants
// (ErrConflict); an unknown tenant is ErrNotFound. ID, Status and the times
// of s are ignored.
func (s *Store) CreateSource(ctx context.Context, src Source) (Source, error) {
	if src.Type == "" {
		src.Type = SourceManagedS3Bucket
	}
	if err := checkSource(src); err != nil {
		return Source{}, fmt.Errorf("create source: %w", err)
	}
	ms, now := s.stamp()
	src.ID = 0
	src.Status = StatusProvisioning
	src.CreatedAt, src.UpdatedAt = now, now
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		if err := tenantExists(tx, src.TenantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(context.Background(),
			`INSERT INTO catalog_sources (tenant_id, type, aws_account_id, resource_id, access_type,
				external_id, bucket, role_name, role_arn, region, endpoint, status, error,
				created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			src.TenantID, src.Type, src.AWSAccountID, src.ResourceID, src.AccessType,
			src.ExternalID, src.Bucket, src.RoleName, src.RoleARN, src.Region, src.Endpoint,
			src.Status, src.Error, ms, ms)
		if err != nil {
			return err
		}
		src.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		if isUniqueViolation(err) {
			return Source{}, fmt.Errorf("create source: %s: %w", uniqueWhat(err), ErrConflict)
		}
		return Source{}, fmt.Errorf("create source: %w", err)
	}
	return src, nil
}

// GetSource returns a source of the tenant; another tenant's source is
// ErrNotFound.
func (s *Store) GetSource(ctx context.Context, tenantID, id int64) (Source, error) {
	src, err := scanSource(s.db.SQL().QueryRowContext(ctx,
		"SELECT "+sourceColumns+" FROM catalog_sources WHERE tenant_id = ? AND id = ?", tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, fmt.Errorf("get source %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Source{}, fmt.Errorf("get source %d: %w", id, err)
	}
	return src, nil
}

// ListSources returns the tenant's sources, oldest first.
func (s *Store) ListSources(ctx context.Context, tenantID int64) ([]Source, error) {
	rows, err := s.db.SQL().QueryContext(ctx,
		"SELECT "+sourceColumns+" FROM catalog_sources WHERE tenant_id = ? ORDER BY id", tenantID)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	sources := []Source{}
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		sources = append(sources, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return sources, nil
}

// UpdateSource saves the status, error, bucket, role name and ARN, region
// and endpoint of the source s.ID of tenant s.TenantID, and returns the
// source as stored. Another tenant's source is ErrNotFound; a bucket of
// another source is ErrConflict.
func (s *Store) UpdateSource(ctx context.Context, src Source) (Source, error) {
	if !slices.Contains(sourceStatuses, src.Status) {
		return Source{}, fmt.Errorf("update source %d: %w", src.ID,
			invalid("status", unknown("status", src.Status, sourceStatuses)))
	}
	if err := checkSourceText(src); err != nil {
		return Source{}, fmt.Errorf("update source %d: %w", src.ID, err)
	}
	ms, _ := s.stamp()
	var out Source
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		bg := context.Background()
		res, err := tx.ExecContext(bg,
			`UPDATE catalog_sources SET status = ?, error = ?, bucket = ?, role_name = ?,
				role_arn = ?, region = ?, endpoint = ?, updated_at = ?
			 WHERE tenant_id = ? AND id = ?`,
			src.Status, src.Error, src.Bucket, src.RoleName, src.RoleARN, src.Region,
			src.Endpoint, ms, src.TenantID, src.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		out, err = scanSource(tx.QueryRowContext(bg,
			"SELECT "+sourceColumns+" FROM catalog_sources WHERE tenant_id = ? AND id = ?",
			src.TenantID, src.ID))
		return err
	})
	if err != nil {
		if isUniqueViolation(err) {
			return Source{}, fmt.Errorf("update source %d: %s: %w", src.ID, uniqueWhat(err), ErrConflict)
		}
		return Source{}, fmt.Errorf("update source %d: %w", src.ID, err)
	}
	return out, nil
}

// DeleteSource removes a source of the tenant; another tenant's source is
// ErrNotFound.
func (s *Store) DeleteSource(ctx context.Context, tenantID, id int64) error {
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		res, err := tx.ExecContext(context.Background(),
			"DELETE FROM catalog_sources WHERE tenant_id = ? AND id = ?", tenantID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete source %d: %w", id, err)
	}
	return nil
}

// SourceByBucket returns the source owning a bucket, whatever its tenant,
// or ErrNotFound.
func (s *Store) SourceByBucket(ctx context.Context, bucket string) (Source, error) {
	if bucket == "" {
		return Source{}, fmt.Errorf("source by bucket: %w", ErrNotFound)
	}
	src, err := scanSource(s.db.SQL().QueryRowContext(ctx,
		"SELECT "+sourceColumns+" FROM catalog_sources WHERE bucket = ?", bucket))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, fmt.Errorf("source by bucket %q: %w", bucket, ErrNotFound)
	}
	if err != nil {
		return Source{}, fmt.Errorf("source by bucket %q: %w", bucket, err)
	}
	return src, nil
}

func scanSource(r scanner) (Source, error) {
	var src Source
	var created, updated int64
	err := r.Scan(&src.ID, &src.TenantID, &src.Type, &src.AWSAccountID, &src.ResourceID,
		&src.AccessType, &src.ExternalID, &src.Bucket, &src.RoleName, &src.RoleARN,
		&src.Region, &src.Endpoint, &src.Status, &src.Error, &created, &updated)
	if err != nil {
		return Source{}, err
	}
	src.CreatedAt, src.UpdatedAt = fromMillis(created), fromMillis(updated)
	return src, nil
}

// checkSource checks what a caller gives to create a source.
func checkSource(src Source) error {
	if src.Type != SourceManagedS3Bucket {
		return invalid("type", unknown("source type", src.Type, []string{SourceManagedS3Bucket}))
	}
	if !isAccountID(src.AWSAccountID) {
		return invalid("aws_account_id", fmt.Sprintf("invalid account id %q: want 12 digits", src.AWSAccountID))
	}
	if strings.TrimSpace(src.ResourceID) == "" {
		return invalid("resource_id", "required")
	}
	if !slices.Contains(accessTypes, src.AccessType) {
		return invalid("access_type", unknown("access type", src.AccessType, accessTypes))
	}
	return checkSourceText(src)
}

// checkSourceText bounds the lengths of a source's free-text values.
func checkSourceText(src Source) error {
	for _, f := range []struct{ name, val string }{
		{"resource_id", src.ResourceID}, {"external_id", src.ExternalID},
		{"bucket", src.Bucket}, {"role_name", src.RoleName}, {"role_arn", src.RoleARN},
		{"region", src.Region}, {"endpoint", src.Endpoint}, {"error", src.Error},
	} {
		if len(f.val) > maxSourceText {
			return invalid(f.name, fmt.Sprintf("too long: at most %d bytes allowed", maxSourceText))
		}
	}
	return nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// uniqueWhat names the value a UNIQUE violation on catalog_sources is about.
func uniqueWhat(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "resource_id"):
		return "resource id is in use"
	case strings.Contains(msg, "bucket"):
		return "bucket belongs to another source"
	}
	return "already exists"
}
