package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newSourceCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "source", Short: "Manage managed-bucket sources"}
	cf.register(cmd)

	var acct, rid, access, ext string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a Managed AWS S3 Bucket source and provision its bucket",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := map[string]string{"aws_account_id": acct, "resource_id": rid, "access_type": access}
			if ext != "" {
				in["external_id"] = ext
			}
			var out map[string]any
			if err := cf.call(cmd, "POST", "/api/v1/sources", in, &out, func(w io.Writer) { printSource(w, out) }); err != nil {
				return err
			}
			if out["status"] == "failed" {
				return fmt.Errorf("provisioning failed: %v (retry with: inlet source retry %v)", out["error"], out["id"])
			}
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&acct, "aws-account-id", "", "the partner's 12-digit AWS account id")
	f.StringVar(&rid, "resource-id", "", "short identifier that becomes part of the bucket name")
	f.StringVar(&access, "access-type", "bucket_policy", "bucket_policy or iam_role")
	f.StringVar(&ext, "external-id", "", "external id the role requires (iam_role only)")
	create.MarkFlagRequired("aws-account-id")
	create.MarkFlagRequired("resource-id")

	list := &cobra.Command{
		Use:   "list",
		Short: "List sources",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Sources []map[string]any `json:"sources"`
			}
			return cf.call(cmd, "GET", "/api/v1/sources", nil, &out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tBUCKET\tACCESS\tPARTNER\tSTATUS")
				for _, s := range out.Sources {
					fmt.Fprintf(tw, "%v\t%v\t%v\t%v\t%v\n", s["id"], s["bucket"], s["access_type"], s["aws_account_id"], s["status"])
				}
				tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a source",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out map[string]any
			return cf.call(cmd, "GET", "/api/v1/sources/"+args[0], nil, &out, func(w io.Writer) { printSource(w, out) })
		},
	}
	instructions := &cobra.Command{
		Use:   "instructions ID",
		Short: "Print the partner's setup instructions for a source",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			if c.asJSON {
				var out map[string]any
				if err := c.do("GET", "/api/v1/sources/"+args[0]+"/instructions", nil, &out); err != nil {
					return err
				}
				return c.print(cmd, out, nil)
			}
			var raw []byte
			if err := c.do("GET", "/api/v1/sources/"+args[0]+"/instructions?format=text", nil, &raw); err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(raw)
			return err
		},
	}
	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Retry a failed provisioning",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out map[string]any
			return cf.call(cmd, "POST", "/api/v1/sources/"+args[0]+"/retry", nil, &out, func(w io.Writer) { printSource(w, out) })
		},
	}
	var force bool
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a source and its bucket (and role)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			path := "/api/v1/sources/" + args[0]
			if force {
				path += "?force=true"
			}
			if err := c.do("DELETE", path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "source %s deleted\n", args[0])
			return nil
		},
	}
	del.Flags().BoolVar(&force, "force", false, "also delete the objects in the bucket")
	var limit int
	denials := &cobra.Command{
		Use:   "denials ID",
		Short: "Show the requests denied against a source's bucket, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Denials []map[string]any `json:"denials"`
			}
			return cf.call(cmd, "GET", fmt.Sprintf("/api/v1/sources/%s/denials?limit=%d", args[0], limit), nil, &out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tPRINCIPAL\tOPERATION\tKEY\tREASON")
				for _, d := range out.Denials {
					fmt.Fprintf(tw, "%v\t%v\t%v\t%v\t%v\n", d["time"], d["principal"], d["operation"], d["key"], d["reason"])
				}
				tw.Flush()
			})
		},
	}
	denials.Flags().IntVar(&limit, "limit", 100, "how many entries at most")
	cmd.AddCommand(create, list, show, instructions, retry, del, denials)
	return cmd
}

func printSource(w io.Writer, s map[string]any) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range []string{"id", "status", "error", "access_type", "aws_account_id", "resource_id", "bucket", "role_arn", "external_id", "region", "endpoint"} {
		if v, ok := s[k]; ok && v != "" && v != nil {
			fmt.Fprintf(tw, "%s\t%v\n", k, v)
		}
	}
	tw.Flush()
}
