package api

import (
	"context"
	"errors"

	"inlet/internal/catalog"
	"inlet/internal/tables"
)

func (s *Server) createDataset(c *call) error {
	tid, err := c.tenant()
	if err != nil {
		return err
	}
	var spec catalog.DatasetSpec
	if err := c.decode(&spec); err != nil {
		return err
	}
	d, err := s.cfg.Catalog.CreateDataset(c.r.Context(), tid, spec)
	if err != nil {
		return err
	}
	s.log.Info("dataset created", "tenant_id", tid, "dataset", d.ID)
	writeJSON(c.w, 201, d)
	return nil
}

func (s *Server) listDatasets(c *call) error {
	tid, err := c.tenant()
	if err != nil {
		return err
	}
	ds, err := s.cfg.Catalog.ListDatasets(c.r.Context(), tid)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []catalog.Dataset{}
	}
	writeJSON(c.w, 200, map[string]any{"datasets": ds})
	return nil
}

func (s *Server) getDataset(c *call) error {
	d, err := s.dataset(c)
	if err != nil {
		return err
	}
	out := datasetOut{Dataset: d}
	if s.cfg.Tables != nil {
		if info, err := s.cfg.Tables.Info(c.r.Context(), d.ID); err == nil {
			out.Table = &tableSummary{MetadataLocation: info.MetadataLocation, CurrentSnapshotID: info.CurrentSnapshotID}
		}
	}
	writeJSON(c.w, 200, out)
	return nil
}

// datasetOut is a dataset with its table's current state, once it has one.
type datasetOut struct {
	catalog.Dataset
	Table *tableSummary `json:"table,omitempty"`
}

type tableSummary struct {
	MetadataLocation  string `json:"metadata_location"`
	CurrentSnapshotID int64  `json:"current_snapshot_id,string,omitempty"`
}

type datasetUpdate struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (s *Server) updateDataset(c *call) error {
	tid, err := c.tenant()
	if err != nil {
		return err
	}
	id, err := c.id("dataset")
	if err != nil {
		return err
	}
	var in datasetUpdate
	if err := c.decode(&in); err != nil {
		return err
	}
	d, err := s.cfg.Catalog.UpdateDataset(c.r.Context(), tid, id, in.Name, in.Description)
	if err != nil {
		return err
	}
	writeJSON(c.w, 200, d)
	return nil
}

func (s *Server) deleteDataset(c *call) error {
	tid, err := c.tenant()
	if err != nil {
		return err
	}
	id, err := c.id("dataset")
	if err != nil {
		return err
	}
	if err := s.cfg.Catalog.DeleteDataset(c.r.Context(), tid, id, c.r.URL.Query().Get("force") == "true"); err != nil {
		return err
	}
	// The dataset is gone; its table and data files go with it. Its id is
	// never given out again, so a failure here leaves only unreachable
	// files, which the log names.
	if s.cfg.Tables != nil {
		if err := s.cfg.Tables.DropTable(context.WithoutCancel(c.r.Context()), id); err != nil &&
			!errors.Is(err, tables.ErrNoSuchTable) {
			s.log.Warn("dataset deleted but its table was not dropped", "dataset", id, "error", err)
		}
	}
	c.w.WriteHeader(204)
	return nil
}
