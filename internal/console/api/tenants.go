package api

import (
	"inlet/internal/catalog"
)

func (s *Server) me(c *call) error {
	writeJSON(c.w, 200, map[string]any{
		"admin": c.caller.Admin, "tenant_id": c.caller.TenantID, "token_id": c.caller.TokenID,
	})
	return nil
}

type tenantCreate struct {
	Name string `json:"name"`
}

type tokenOut struct {
	catalog.Token
	Secret string `json:"secret"`
}

func (s *Server) createTenant(c *call) error {
	var in tenantCreate
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Name == "" {
		return badRequest("name", "name is required")
	}
	t, err := s.cfg.Catalog.CreateTenant(c.r.Context(), in.Name)
	if err != nil {
		return err
	}
	tok, secret, err := s.cfg.Catalog.CreateToken(c.r.Context(), t.ID, "initial")
	if err != nil {
		return err
	}
	s.log.Info("tenant created", "tenant_id", t.ID)
	writeJSON(c.w, 201, map[string]any{"tenant": t, "token": tokenOut{tok, secret}})
	return nil
}

func (s *Server) listTenants(c *call) error {
	ts, err := s.cfg.Catalog.ListTenants(c.r.Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []catalog.Tenant{}
	}
	writeJSON(c.w, 200, map[string]any{"tenants": ts})
	return nil
}

// tenantParam returns the {tenant} path id if the caller may act on it: the
// admin on any tenant, a tenant on itself (others are 404).
func (c *call) tenantParam() (int64, error) {
	id, err := c.id("tenant")
	if err != nil {
		return 0, err
	}
	if !c.caller.Admin && c.caller.TenantID != id {
		return 0, catalog.ErrNotFound
	}
	return id, nil
}

func (s *Server) getTenant(c *call) error {
	id, err := c.tenantParam()
	if err != nil {
		return err
	}
	t, err := s.cfg.Catalog.GetTenant(c.r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(c.w, 200, t)
	return nil
}

type userCreate struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) createUser(c *call) error {
	id, err := c.tenantParam()
	if err != nil {
		return err
	}
	if _, err := s.cfg.Catalog.GetTenant(c.r.Context(), id); err != nil {
		return err
	}
	var in userCreate
	if err := c.decode(&in); err != nil {
		return err
	}
	u, err := s.cfg.Catalog.CreateUser(c.r.Context(), id, in.Email, in.Password)
	if err != nil {
		return err
	}
	writeJSON(c.w, 201, u)
	return nil
}

type tokenCreate struct {
	Name string `json:"name"`
}

func (s *Server) createToken(c *call) error {
	id, err := c.tenantParam()
	if err != nil {
		return err
	}
	if _, err := s.cfg.Catalog.GetTenant(c.r.Context(), id); err != nil {
		return err
	}
	var in tokenCreate
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Name == "" {
		return badRequest("name", "name is required")
	}
	tok, secret, err := s.cfg.Catalog.CreateToken(c.r.Context(), id, in.Name)
	if err != nil {
		return err
	}
	writeJSON(c.w, 201, tokenOut{tok, secret})
	return nil
}
