package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"inlet/internal/catalog"
	"inlet/internal/console/api"
	"inlet/internal/credfile"
	"inlet/internal/delivery"
	"inlet/internal/meta"
	"inlet/internal/provision"
	"inlet/internal/tables"
)

// consoleDeps is what the console needs, built by serve.
type consoleDeps struct {
	api    *api.Server
	cat    *catalog.Store
	runner *delivery.Runner
	tables *tables.Catalog
	poll   time.Duration // 0: events from the embedded cloud
}

// newConsole opens the catalog and builds the API over a provisioner that
// drives the configured cloud through aws-sdk-go-v2: the embedded one at
// cloudURL with the platform's root key, or AWS itself (--cloud aws) with
// the standard credential chain.
func newConsole(ctx context.Context, cfg serveConfig, db *meta.DB, cloudURL string, denials api.Denials, log *slog.Logger) (*consoleDeps, error) {
	cat, err := catalog.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	tokenPath := filepath.Join(cfg.Data, "admin-token")
	if _, err := cat.EnsureAdminToken(ctx, tokenPath); err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}

	var pc provision.Cloud
	switch cfg.Cloud {
	case "embedded":
		id, secret, err := credfile.Read(filepath.Join(cfg.Data, "credentials"), "")
		if err != nil {
			return nil, fmt.Errorf("platform credentials for the embedded cloud: %w", err)
		}
		awsCfg := aws.Config{
			Region:      cfg.Region,
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		}
		pc = provision.Cloud{
			S3: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
				o.BaseEndpoint = aws.String(cloudURL)
				o.UsePathStyle = true
			}),
			IAM:      iam.NewFromConfig(awsCfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(cloudURL) }),
			STS:      sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(cloudURL) }),
			Region:   cfg.Region,
			Endpoint: cloudURL,
			Embedded: true,
		}
	case "aws":
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
		if err != nil {
			return nil, fmt.Errorf("load AWS configuration: %w", err)
		}
		pc = provision.Cloud{
			S3: s3.NewFromConfig(awsCfg), IAM: iam.NewFromConfig(awsCfg), STS: sts.NewFromConfig(awsCfg),
			Region: cfg.Region,
		}
	}
	prov := provision.New(pc, log)
	warehouse := cfg.Warehouse
	if warehouse == "" {
		warehouse = filepath.Join(cfg.Data, "warehouse")
	}
	tbl, err := tables.Open(ctx, db.SQL(), warehouse, log)
	if err != nil {
		return nil, fmt.Errorf("open the dataset tables: %w", err)
	}
	if err := tbl.SetCodec(cfg.ParquetCodec); err != nil {
		return nil, err
	}
	// No commit runs yet: data files no snapshot holds were left by a
	// commit a crash interrupted.
	if _, _, err := tbl.SweepOrphans(ctx, time.Now()); err != nil {
		log.Warn("sweep the warehouse", "err", err)
	}
	runner, err := delivery.New(ctx, delivery.Config{
		DB: db, Catalog: cat, Tables: tbl, S3: pc.S3, Dir: filepath.Join(cfg.Data, "ingest"), Logger: log,
	})
	if err != nil {
		return nil, err
	}
	a := api.New(api.Config{
		Catalog:      cat,
		Provisioner:  prov,
		Ingestion:    runner,
		Tables:       tableInfo{tbl},
		Denials:      denials,
		BucketPrefix: cfg.BucketPrefix,
		Region:       cfg.Region,
		Endpoint:     pc.Endpoint,
		Logger:       log,
	})
	d := &consoleDeps{api: a, cat: cat, runner: runner, tables: tbl}
	if cfg.Cloud == "aws" {
		d.poll = cfg.PollInterval
	}
	return d, nil
}

// start runs the ingestion runner (and the poller on AWS) until ctx ends.
func (d *consoleDeps) start(ctx context.Context) {
	d.runner.Start(ctx)
	if d.poll > 0 {
		go d.runner.Poll(ctx, d.poll, d.tenantIDs)
	}
	go d.resume(ctx)
}

func (d *consoleDeps) tenantIDs(ctx context.Context) ([]int64, error) {
	ts, err := d.cat.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids, nil
}

// tableInfo adapts the tables package to the API's view of a table.
type tableInfo struct{ *tables.Catalog }

func (t tableInfo) Info(ctx context.Context, datasetID int64) (api.TableInfo, error) {
	desc, err := t.Describe(ctx, datasetID)
	if err != nil {
		return api.TableInfo{}, err
	}
	snaps, err := t.Snapshots(ctx, datasetID)
	if err != nil {
		return api.TableInfo{}, err
	}
	info := api.TableInfo{MetadataLocation: desc.MetadataLocation, CurrentSnapshotID: desc.SnapshotID, Snapshots: []api.Snapshot{}}
	for _, s := range snaps {
		info.Snapshots = append(info.Snapshots, api.Snapshot{ID: s.ID, ParentID: s.ParentID, Timestamp: s.Timestamp, Operation: s.Operation, Summary: s.Summary})
	}
	return info, nil
}

// handler serves the API and health checks.
func (d *consoleDeps) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/api/", d.api)
	return mux
}

// resume finishes provisioning left unfinished by a crash or restart.
func (d *consoleDeps) resume(ctx context.Context) {
	ids, err := d.tenantIDs(ctx)
	if err != nil {
		return
	}
	d.api.Resume(ctx, ids)
}
