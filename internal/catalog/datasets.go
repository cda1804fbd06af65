package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"inlet/internal/meta"
)

const datasetColumns = "id, tenant_id, name, description, spec, created_at, updated_at"

// CreateDataset validates and normalises spec (see [ValidateDatasetSpec])
// and stores it as a dataset of the tenant. Names are unique within a
// tenant, ignoring case (ErrConflict); an unknown tenant is ErrNotFound.
func (s *Store) CreateDataset(ctx context.Context, tenantID int64, spec DatasetSpec) (Dataset, error) {
	spec, err := ValidateDatasetSpec(spec)
	if err != nil {
		return Dataset{}, fmt.Errorf("create dataset: %w", err)
	}
	doc, err := json.Marshal(spec)
	if err != nil {
		return Dataset{}, fmt.Errorf("create dataset: %w", err)
	}
	ms, now := s.stamp()
	d := Dataset{TenantID: tenantID, DatasetSpec: spec, CreatedAt: now, UpdatedAt: now}
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		if err := tenantExists(tx, tenantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(context.Background(),
			`INSERT INTO catalog_datasets (tenant_id, name, description, spec, created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?)`, tenantID, spec.Name, spec.Description, string(doc), ms, ms)
		if err != nil {
			return err
		}
		d.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		if isUniqueViolation(err) {
			return Dataset{}, fmt.Errorf("create dataset: name %q is taken: %w", spec.Name, ErrConflict)
		}
		return Dataset{}, fmt.Errorf("create dataset: %w", err)
	}
	return d, nil
}

// ListDatasets returns the tenant's datasets, oldest first.
func (s *Store) ListDatasets(ctx context.Context, tenantID int64) ([]Dataset, error) {
	rows, err := s.db.SQL().QueryContext(ctx,
		"SELECT "+datasetColumns+" FROM catalog_datasets WHERE tenant_id = ? ORDER BY id", tenantID)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	defer rows.Close()
	datasets := []Dataset{}
	for rows.Next() {
		d, err := scanDataset(rows)
		if err != nil {
			return nil, fmt.Errorf("list datasets: %w", err)
		}
		datasets = append(datasets, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	return datasets, nil
}

// GetDataset returns a dataset of the tenant; another tenant's dataset is
// ErrNotFound.
func (s *Store) GetDataset(ctx context.Context, tenantID, id int64) (Dataset, error) {
	d, err := scanDataset(s.db.SQL().QueryRowContext(ctx,
		"SELECT "+datasetColumns+" FROM catalog_datasets WHERE tenant_id = ? AND id = ?", tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Dataset{}, fmt.Errorf("get dataset %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Dataset{}, fmt.Errorf("get dataset %d: %w", id, err)
	}
	return d, nil
}

// UpdateDataset changes a dataset's name and/or description; a nil
// argument leaves that one as it is. The values are checked as for
// CreateDataset. Another tenant's dataset is ErrNotFound.
func (s *Store) UpdateDataset(ctx context.Context, tenantID, id int64, name, description *string) (Dataset, error) {
	var newName, newDesc string
	var err error
	if name != nil {
		if newName, err = checkName("name", *name); err != nil {
			return Dataset{}, fmt.Errorf("update dataset: %w", err)
		}
	}
	if description != nil {
		if newDesc, err = checkDescription("description", *description); err != nil {
			return Dataset{}, fmt.Errorf("update dataset: %w", err)
		}
	}
	ms, _ := s.stamp()
	var d Dataset
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		bg := context.Background()
		var err error
		d, err = scanDataset(tx.QueryRowContext(bg,
			"SELECT "+datasetColumns+" FROM catalog_datasets WHERE tenant_id = ? AND id = ?", tenantID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if name == nil && description == nil {
			return nil
		}
		if name != nil {
			d.Name = newName
		}
		if description != nil {
			d.Description = newDesc
		}
		doc, err := json.Marshal(d.DatasetSpec)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(bg,
			`UPDATE catalog_datasets SET name = ?, description = ?, spec = ?, updated_at = ?
			 WHERE tenant_id = ? AND id = ?`, d.Name, d.Description, string(doc), ms, tenantID, id)
		if err != nil {
			return err
		}
		d.UpdatedAt = fromMillis(ms)
		return nil
	})
	if err != nil {
		if isUniqueViolation(err) {
			return Dataset{}, fmt.Errorf("update dataset %d: name %q is taken: %w", id, newName, ErrConflict)
		}
		return Dataset{}, fmt.Errorf("update dataset %d: %w", id, err)
	}
	return d, nil
}

// DeleteDataset deletes a dataset of the tenant. While the tenant has
// sources not being deleted (status other than deleting) it refuses with
// ErrConflict, unless force. Another tenant's dataset is ErrNotFound.
func (s *Store) DeleteDataset(ctx context.Context, tenantID, id int64, force bool) error {
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		bg := context.Background()
		var n int
		err := tx.QueryRowContext(bg,
			"SELECT count(*) FROM catalog_datasets WHERE tenant_id = ? AND id = ?", tenantID, id).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if !force {
			err := tx.QueryRowContext(bg,
				"SELECT count(*) FROM catalog_sources WHERE tenant_id = ? AND status <> ?",
				tenantID, StatusDeleting).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("the tenant has %d sources in use (delete them first, or force): %w", n, ErrConflict)
			}
		}
		_, err = tx.ExecContext(bg, "DELETE FROM catalog_datasets WHERE tenant_id = ? AND id = ?", tenantID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete dataset %d: %w", id, err)
	}
	return nil
}

func scanDataset(r scanner) (Dataset, error) {
	var d Dataset
	var doc []byte
	var created, updated int64
	if err := r.Scan(&d.ID, &d.TenantID, &d.Name, &d.Description, &doc, &created, &updated); err != nil {
		return Dataset{}, err
	}
	name, desc := d.Name, d.Description
	if err := json.Unmarshal(doc, &d.DatasetSpec); err != nil {
		return Dataset{}, fmt.Errorf("dataset %d: decode spec: %w", d.ID, err)
	}
	d.Name, d.Description = name, desc // the columns are authoritative
	d.CreatedAt, d.UpdatedAt = fromMillis(created), fromMillis(updated)
	return d, nil
}
