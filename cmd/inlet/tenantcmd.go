package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type tenantOut struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

type tokenReply struct {
	ID       int64  `json:"id"`
	TenantID int64  `json:"tenant_id"`
	Name     string `json:"name"`
	Secret   string `json:"secret"`
}

func newTenantCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "tenant", Short: "Manage tenants (operator)"}
	cf.register(cmd)

	var name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a tenant and print its id and first API token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Tenant tenantOut  `json:"tenant"`
				Token  tokenReply `json:"token"`
			}
			return cf.call(cmd, "POST", "/api/v1/tenants", map[string]string{"name": name}, &out, func(w io.Writer) {
				fmt.Fprintf(w, "tenant_id  %d\nname       %s\ntoken      %s\n\nThe token is shown only now; use it as INLET_TOKEN.\n",
					out.Tenant.ID, out.Tenant.Name, out.Token.Secret)
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "tenant (company) name")
	create.MarkFlagRequired("name")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Tenants []tenantOut `json:"tenants"`
			}
			return cf.call(cmd, "GET", "/api/v1/tenants", nil, &out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tCREATED")
				for _, t := range out.Tenants {
					fmt.Fprintf(tw, "%d\t%s\t%s\n", t.ID, t.Name, t.CreatedAt)
				}
				tw.Flush()
			})
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func newUserCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "user", Short: "Manage users of a tenant"}
	cf.register(cmd)
	var tenant int64
	var email, password string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a user (the password comes from INLET_PASSWORD or --password)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if password == "" {
				password = os.Getenv("INLET_PASSWORD")
			}
			if password == "" {
				return errors.New("a password is needed: set INLET_PASSWORD or --password")
			}
			var out map[string]any
			return cf.call(cmd, "POST", fmt.Sprintf("/api/v1/tenants/%d/users", tenant),
				map[string]string{"email": email, "password": password}, &out, func(w io.Writer) {
					fmt.Fprintf(w, "user %v (%v) created in tenant %v\n", out["id"], out["email"], out["tenant_id"])
				})
		},
	}
	f := create.Flags()
	f.Int64Var(&tenant, "tenant", 0, "tenant id")
	f.StringVar(&email, "email", "", "e-mail address")
	f.StringVar(&password, "password", "", "password (prefer INLET_PASSWORD)")
	create.MarkFlagRequired("tenant")
	create.MarkFlagRequired("email")
	cmd.AddCommand(create)
	return cmd
}

func newTokenCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	cf.register(cmd)
	var tenant int64
	var name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token for a tenant (shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out tokenReply
			return cf.call(cmd, "POST", fmt.Sprintf("/api/v1/tenants/%d/tokens", tenant), map[string]string{"name": name}, &out, func(w io.Writer) {
				fmt.Fprintf(w, "token %s\n\nThe token is shown only now.\n", out.Secret)
			})
		},
	}
	create.Flags().Int64Var(&tenant, "tenant", 0, "tenant id")
	create.Flags().StringVar(&name, "name", "cli", "a name to recognise the token by")
	create.MarkFlagRequired("tenant")
	cmd.AddCommand(create)
	return cmd
}
