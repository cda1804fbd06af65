package api

import (
	"strconv"

	"inlet/internal/catalog"
	"inlet/internal/provision"
)

// instructionsOut is the JSON form of a source's partner instructions.
type instructionsOut = provision.Instructions

func (s *Server) sourceInstructions(c *call) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	if src.Status != catalog.StatusActive {
		return &apiError{status: 409, code: "conflict",
			msg: "source " + strconv.FormatInt(src.ID, 10) + " is " + src.Status + ", not active; instructions are given for active sources"}
	}
	platform, err := s.cfg.Provisioner.PlatformAccountID(c.r.Context())
	if err != nil {
		return err
	}
	in := provision.InstructionsInput{
		Bucket: src.Bucket, Region: src.Region, AccessType: src.AccessType,
		PartnerAccountID: src.AWSAccountID, RoleARN: src.RoleARN, ExternalID: src.ExternalID,
		Endpoint: src.Endpoint, PlatformAccountID: platform,
	}
	if v := c.r.URL.Query().Get("dataset"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return badRequest("dataset", "dataset must be a dataset id")
		}
		if _, err := s.cfg.Catalog.GetDataset(c.r.Context(), src.TenantID, id); err != nil {
			return err
		}
		in.DatasetID = id
	}
	out := provision.BuildInstructions(in)
	if c.r.URL.Query().Get("format") == "text" {
		c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		c.w.WriteHeader(200)
		_, err := c.w.Write([]byte(out.Text))
		return err
	}
	writeJSON(c.w, 200, out)
	return nil
}
