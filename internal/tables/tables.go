// Package tables keeps each dataset as an Apache Iceberg table (format v2),
// so that any Iceberg engine can query it without an export.
//
// The tables are registered in iceberg-go's SQL catalog, kept in inlet's
// SQLite metadata database (it adds its own iceberg_tables and
// iceberg_namespace_properties tables there), in the namespace "inlet";
// dataset 7 is the table inlet.dataset_7. Table files live under a warehouse
// directory.
//
// A file set becomes one snapshot: [Catalog.Commit] writes the rows as
// Parquet data files while it streams them, then commits them in one
// transaction whose snapshot summary carries the caller's properties (the
// source, the file-set folder), so the table itself records which file sets
// it holds ([Catalog.CommittedFileSet]). inlet's snapshot ids are Iceberg's.
package tables

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/iceberg-go"
	icecatalog "github.com/apache/iceberg-go/catalog"
	icesql "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"

	"inlet/internal/catalog"
)

// Namespace is the Iceberg namespace that holds every dataset's table.
const Namespace = "inlet"

// catalogName is the catalog_name column of iceberg-go's SQL catalog rows.
const catalogName = "inlet"

// Errors.
var (
	// ErrNoSuchTable is returned for a dataset that has no table.
	ErrNoSuchTable = errors.New("tables: no such table")

	// ErrConflict is returned by an overwrite that another commit to the
	// same table overtook: nothing was committed; the caller may retry.
	ErrConflict = errors.New("tables: concurrent commit")
)

// Catalog is the Iceberg catalog of the datasets' tables. It is safe for
// concurrent use. Concurrent commits to one table go through Iceberg's
// optimistic concurrency: an append that loses the race is committed on
// top of the winner; an overwrite fails with [ErrConflict].
type Catalog struct {
	cat       *icesql.Catalog
	warehouse string // file:// URI
	log       *slog.Logger

	// Parquet layout of new tables (tests make them small).
	rowGroupBytes   int64
	targetFileBytes int64
	codec           string // write.parquet.compression-codec
}

// Table describes a dataset's table.
type Table struct {
	DatasetID        int64  `json:"dataset_id"`
	Name             string `json:"name"`               // e.g. "inlet.dataset_7"
	Location         string `json:"location"`           // the table's root URI
	MetadataLocation string `json:"metadata_location"`  // the current metadata file
	SnapshotID       int64  `json:"snapshot_id,string"` // current snapshot; 0 before the first commit
}

// Open opens the Iceberg SQL catalog over db (a SQLite database opened
// with the "sqlite" driver, e.g. meta.DB.SQL()), creating its tables and
// the namespace if needed. warehouse is a local directory, created if
// missing, under which new tables are placed. The caller keeps ownership
// of db.
func Open(ctx context.Context, db *sql.DB, warehouse string, logger *slog.Logger) (*Catalog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(warehouse)
	if err != nil {
		return nil, fmt.Errorf("open tables: warehouse: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open tables: warehouse: %w", err)
	}
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()

	cat, err := icesql.NewCatalog(catalogName, db, icesql.SQLite, iceberg.Properties{
		"warehouse": uri,
	})
	if err != nil {
		return nil, fmt.Errorf("open tables: sql catalog: %w", err)
	}

	ns := table.Identifier{Namespace}
	exists, err := cat.CheckNamespaceExists(ctx, ns)
	if err != nil {
		return nil, fmt.Errorf("open tables: namespace: %w", err)
	}
	if !exists {
		err := cat.CreateNamespace(ctx, ns, iceberg.Properties{"comment": "inlet datasets"})
		if err != nil && !errors.Is(err, icecatalog.ErrNamespaceAlreadyExists) {
			return nil, fmt.Errorf("open tables: create namespace: %w", err)
		}
	}
	return &Catalog{
		cat:             cat,
		warehouse:       uri,
		log:             logger,
		rowGroupBytes:   defaultRowGroupBytes,
		targetFileBytes: defaultTargetFileBytes,
		codec:           defaultCodec,
	}, nil
}

// Codecs are the compressions of Parquet data files the writer knows, by
// the names of Iceberg's write.parquet.compression-codec property.
var Codecs = []string{"snappy", "zstd", "uncompressed"}

// SetCodec sets the compression of the data files of tables created from
// now on (write.parquet.compression-codec); a table keeps the one it was
// created with. The default is snappy.
func (c *Catalog) SetCodec(name string) error {
	if _, ok := codecs[name]; !ok {
		return fmt.Errorf("tables: compression %q: want one of %v", name, Codecs)
	}
	c.codec = name
	return nil
}

// Close releases the catalog's resources; it leaves the database open.
func (c *Catalog) Close() error { return c.cat.Close() }

// Warehouse returns the warehouse URI (file://...).
func (c *Catalog) Warehouse() string { return c.warehouse }

// TableName returns the table's name in the namespace, "dataset_<id>".
func TableName(datasetID int64) string {
	return "dataset_" + strconv.FormatInt(datasetID, 10)
}

func ident(datasetID int64) table.Identifier {
	return table.Identifier{Namespace, TableName(datasetID)}
}

// CreateTable creates the dataset's table with the given schema (field ids
// 1..n in order). If the table exists it is loaded and returned as is: its
// schema is not compared with fields.
func (c *Catalog) CreateTable(ctx context.Context, datasetID int64, fields []catalog.Field) (Table, error) {
	if tbl, err := c.load(ctx, datasetID); err == nil {
		return describe(datasetID, tbl), nil
	} else if !errors.Is(err, ErrNoSuchTable) {
		return Table{}, fmt.Errorf("create table: %w", err)
	}

	sc, err := IcebergSchema(fields)
	if err != nil {
		return Table{}, fmt.Errorf("create table: %w", err)
	}
	props, err := c.tableProperties(sc)
	if err != nil {
		return Table{}, fmt.Errorf("create table: %w", err)
	}
	tbl, err := c.cat.CreateTable(ctx, ident(datasetID), sc, icecatalog.WithProperties(props))
	if errors.Is(err, icecatalog.ErrTableAlreadyExists) {
		// Lost a race with another creator: theirs is as good.
		tbl, err = c.load(ctx, datasetID)
	}
	if err != nil {
		return Table{}, fmt.Errorf("create table: %w", err)
	}
	c.log.Info("table created", "dataset", datasetID, "metadata", tbl.MetadataLocation())
	return describe(datasetID, tbl), nil
}

// tableProperties are set on each new table.
func (c *Catalog) tableProperties(sc *iceberg.Schema) (iceberg.Properties, error) {
	// A name mapping lets readers resolve the columns of Parquet files that
	// lack field ids (inlet's own files carry them).
	mapping, err := jsonString(sc.NameMapping())
	if err != nil {
		return nil, fmt.Errorf("name mapping: %w", err)
	}
	return iceberg.Properties{
		table.PropertyFormatVersion:       "2",
		table.DefaultNameMappingKey:       mapping,
		table.ParquetCompressionKey:       c.codec,
		table.ParquetRowGroupSizeBytesKey: strconv.FormatInt(c.rowGroupBytes, 10),
		table.WriteTargetFileSizeBytesKey: strconv.FormatInt(c.targetFileBytes, 10),
	}, nil
}

// Parquet layout. A row group is buffered (encoded and compressed) in
// memory until it is flushed, so its size bounds a commit's memory.
const (
	defaultRowGroupBytes   = 32 << 20
	defaultTargetFileBytes = 256 << 20
)

// defaultCodec compresses new tables' data files. Snappy, DuckDB's and
// Spark's default too: zstd makes files about a third smaller but costs
// about a fifth of the ingestion throughput on one core.
const defaultCodec = "snappy"

// Describe returns the dataset's table.
func (c *Catalog) Describe(ctx context.Context, datasetID int64) (Table, error) {
	tbl, err := c.load(ctx, datasetID)
	if err != nil {
		return Table{}, fmt.Errorf("describe table: %w", err)
	}
	return describe(datasetID, tbl), nil
}

// MetadataLocation returns the URI of the table's current metadata file,
// which any Iceberg engine can open.
func (c *Catalog) MetadataLocation(ctx context.Context, datasetID int64) (string, error) {
	tbl, err := c.load(ctx, datasetID)
	if err != nil {
		return "", fmt.Errorf("metadata location: %w", err)
	}
	return tbl.MetadataLocation(), nil
}

// DropTable removes the table from the catalog, then deletes its files. A
// file that cannot be deleted is logged, not returned: the table is gone
// either way. Dropping a missing table returns [ErrNoSuchTable].
func (c *Catalog) DropTable(ctx context.Context, datasetID int64) error {
	tbl, err := c.load(ctx, datasetID)
	if err != nil {
		return fmt.Errorf("drop table: %w", err)
	}
	if err := c.cat.DropTable(ctx, ident(datasetID)); err != nil {
		if errors.Is(err, icecatalog.ErrNoSuchTable) {
			return fmt.Errorf("drop table: %w", ErrNoSuchTable)
		}
		return fmt.Errorf("drop table: %w", err)
	}
	if err := tbl.PurgeFiles(ctx); err != nil {
		c.log.Warn("dropped table but could not delete all its files",
			"dataset", datasetID, "location", tbl.Location(), "err", err)
	}
	c.log.Info("table dropped", "dataset", datasetID)
	return nil
}

func (c *Catalog) load(ctx context.Context, datasetID int64) (*table.Table, error) {
	tbl, err := c.cat.LoadTable(ctx, ident(datasetID))
	if errors.Is(err, icecatalog.ErrNoSuchTable) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchTable, TableName(datasetID))
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", TableName(datasetID), err)
	}
	return tbl, nil
}

func describe(datasetID int64, tbl *table.Table) Table {
	t := Table{
		DatasetID:        datasetID,
		Name:             Namespace + "." + TableName(datasetID),
		Location:         tbl.Location(),
		MetadataLocation: tbl.MetadataLocation(),
	}
	if s := tbl.CurrentSnapshot(); s != nil {
		t.SnapshotID = s.SnapshotID
	}
	return t
}
