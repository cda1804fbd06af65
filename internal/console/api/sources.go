package api

import (
	"context"
	"errors"
	"time"

	"inlet/internal/catalog"
	"inlet/internal/provision"
)

type sourceCreate struct {
	AWSAccountID string `json:"aws_account_id"`
	ResourceID   string `json:"resource_id"`
	AccessType   string `json:"access_type"`
	ExternalID   string `json:"external_id"`
}

// validate normalises a source request, naming the field of the first
// problem.
func (in *sourceCreate) validate() error {
	acct, err := provision.NormalizeAccountID(in.AWSAccountID)
	if err != nil {
		return badRequest("aws_account_id", "%v", err)
	}
	in.AWSAccountID = acct
	rid, err := provision.NormalizeResourceID(in.ResourceID)
	if err != nil {
		return badRequest("resource_id", "%v", err)
	}
	in.ResourceID = rid
	switch in.AccessType {
	case "":
		in.AccessType = catalog.AccessBucketPolicy
	case catalog.AccessBucketPolicy, catalog.AccessIAMRole:
	default:
		return badRequest("access_type", "unknown access type %q; want bucket_policy or iam_role", in.AccessType)
	}
	if in.ExternalID != "" {
		if in.AccessType != catalog.AccessIAMRole {
			return badRequest("external_id", "an external id only applies to the iam_role access type")
		}
		if err := provision.ValidateExternalID(in.ExternalID); err != nil {
			return badRequest("external_id", "%v", err)
		}
	}
	return nil
}

func (s *Server) createSource(c *call) error {
	tid, err := c.tenant()
	if err != nil {
		return err
	}
	var in sourceCreate
	if err := c.decode(&in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	// The partner writes into a bucket of the platform's account, under a
	// policy that holds every other account to the bucket-owner-full-control
	// ACL. Naming the platform itself as the partner would put the platform
	// under that rule (its own receipts would be denied) and give the
	// "partner" the platform's access: refused.
	if platform, err := s.cfg.Provisioner.PlatformAccountID(c.r.Context()); err != nil {
		return err
	} else if in.AWSAccountID == platform {
		return badRequest("aws_account_id", "aws_account_id %s is the platform's own account; give the partner's account", platform)
	}
	src := catalog.Source{
		TenantID:     tid,
		Type:         "managed_s3_bucket",
		AWSAccountID: in.AWSAccountID,
		ResourceID:   in.ResourceID,
		AccessType:   in.AccessType,
		ExternalID:   in.ExternalID,
		Bucket:       provision.BucketName(s.cfg.BucketPrefix, in.ResourceID),
		Region:       s.cfg.Region,
		Endpoint:     s.cfg.Endpoint,
	}
	if in.AccessType == catalog.AccessIAMRole {
		src.RoleName = provision.RoleName(src.Bucket)
	}
	src, err = s.cfg.Catalog.CreateSource(c.r.Context(), src)
	if errors.Is(err, catalog.ErrConflict) {
		return &apiError{status: 409, code: "conflict", field: "resource_id",
			msg: "resource id " + in.ResourceID + " is already used by another of your sources"}
	}
	if err != nil {
		return err
	}
	src, err = s.provision(c.r.Context(), src)
	if err != nil {
		return err
	}
	writeJSON(c.w, 201, src)
	return nil
}

// spec is what provisioning needs to know of a source.
func (s *Server) spec(ctx context.Context, src catalog.Source) provision.Spec {
	name := ""
	if t, err := s.cfg.Catalog.GetTenant(ctx, src.TenantID); err == nil {
		name = t.Name
	}
	return provision.Spec{
		TenantID: src.TenantID, SourceID: src.ID, TenantName: name,
		Bucket: src.Bucket, RoleName: src.RoleName, PartnerAccountID: src.AWSAccountID,
		AccessType: src.AccessType, ExternalID: src.ExternalID,
	}
}

// provision runs (or re-runs) a source's provisioning and records the
// outcome: active, or failed with the error.
func (s *Server) provision(ctx context.Context, src catalog.Source) (catalog.Source, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	res, err := s.cfg.Provisioner.Provision(ctx, s.spec(ctx, src))
	if err != nil {
		s.log.Warn("provisioning failed", "source_id", src.ID, "bucket", src.Bucket, "error", err)
		src.Status, src.Error = catalog.StatusFailed, err.Error()
	} else {
		src.Status, src.Error, src.RoleARN = catalog.StatusActive, "", res.RoleARN
	}
	return s.cfg.Catalog.UpdateSource(ctx, src)
}

// Resume provisions the sources left in status provisioning by a crash or
// a restart. It runs at start.
func (s *Server) Resume(ctx context.Context, tenants []int64) {
	for _, tid := range tenants {
		srcs, err := s.cfg.Catalog.ListSources(ctx, tid)
		if err != nil {
			s.log.Warn("resume provisioning", "tenant_id", tid, "error", err)
			continue
		}
		for _, src := range srcs {
			if src.Status == catalog.StatusProvisioning {
				s.log.Info("resuming provisioning", "source_id", src.ID, "bucket", src.Bucket)
				s.provision(ctx, src)
			}
		}
	}
}

func (s *Server) listSources(c *call) error {
	tid, err := c.tenant()
	if err != nil {
		return err
	}
	srcs, err := s.cfg.Catalog.ListSources(c.r.Context(), tid)
	if err != nil {
		return err
	}
	if srcs == nil {
		srcs = []catalog.Source{}
	}
	writeJSON(c.w, 200, map[string]any{"sources": srcs})
	return nil
}

func (s *Server) source(c *call) (catalog.Source, error) {
	tid, err := c.tenant()
	if err != nil {
		return catalog.Source{}, err
	}
	id, err := c.id("source")
	if err != nil {
		return catalog.Source{}, err
	}
	return s.cfg.Catalog.GetSource(c.r.Context(), tid, id)
}

func (s *Server) getSource(c *call) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	writeJSON(c.w, 200, src)
	return nil
}

func (s *Server) retrySource(c *call) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	if src.Status == catalog.StatusActive {
		writeJSON(c.w, 200, src)
		return nil
	}
	src, err = s.provision(c.r.Context(), src)
	if err != nil {
		return err
	}
	writeJSON(c.w, 200, src)
	return nil
}

func (s *Server) deleteSource(c *call) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	force := c.r.URL.Query().Get("force") == "true"
	err = s.cfg.Provisioner.Teardown(c.r.Context(), s.spec(c.r.Context(), src), force)
	if errors.Is(err, provision.ErrBucketNotEmpty) {
		return &apiError{status: 409, code: "conflict",
			msg: "bucket " + src.Bucket + " is not empty; delete with force (inlet source delete --force, ?force=true in the API) to remove its objects too"}
	}
	if err != nil {
		return err
	}
	if err := s.cfg.Catalog.DeleteSource(c.r.Context(), src.TenantID, src.ID); err != nil {
		return err
	}
	s.log.Info("source deleted", "source_id", src.ID, "bucket", src.Bucket)
	c.w.WriteHeader(204)
	return nil
}

// Denial is a request the cloud denied against a source's bucket.
type Denial struct {
	Time      time.Time `json:"time"`
	Principal string    `json:"principal"`
	Operation string    `json:"operation"`
	Action    string    `json:"action"`
	Key       string    `json:"key,omitempty"`
	Reason    string    `json:"reason"`
	RequestID string    `json:"request_id"`
	SourceIP  string    `json:"source_ip,omitempty"`
}

// Denials reads a bucket's denial log, newest first.
type Denials func(ctx context.Context, bucket string, limit int) ([]Denial, error)

// sourceDenials lists the requests denied against a source's bucket, so a
// tenant can see why a partner's write failed.
func (s *Server) sourceDenials(c *call) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	if s.cfg.Denials == nil {
		return &apiError{status: 501, code: "not_implemented", msg: "denial logs are kept by the embedded cloud only; with --cloud aws use CloudTrail"}
	}
	limit, err := intParam(c.r, "limit", 100, 1, 10000)
	if err != nil {
		return err
	}
	ds, err := s.cfg.Denials(c.r.Context(), src.Bucket, int(limit))
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []Denial{}
	}
	writeJSON(c.w, 200, map[string]any{"denials": ds})
	return nil
}
