package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newDatasetCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "dataset", Short: "Manage datasets"}
	cf.register(cmd)

	var name, schemaFile, description string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a dataset from a JSON file of fields, file configuration and write mode",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := os.ReadFile(schemaFile)
			if err != nil {
				return fmt.Errorf("read --schema: %w", err)
			}
			var spec map[string]any
			if err := json.Unmarshal(raw, &spec); err != nil {
				return fmt.Errorf("--schema %s is not a JSON object: %w", schemaFile, err)
			}
			if name != "" {
				spec["name"] = name
			}
			if description != "" {
				spec["description"] = description
			}
			var out map[string]any
			return cf.call(cmd, "POST", "/api/v1/datasets", spec, &out, func(w io.Writer) { printDataset(w, out) })
		},
	}
	f := create.Flags()
	f.StringVar(&name, "name", "", "dataset name (overrides the file's)")
	f.StringVar(&description, "description", "", "description")
	f.StringVar(&schemaFile, "schema", "", "JSON file: {\"fields\":[…],\"file\":{…},\"write_mode\":…}")
	create.MarkFlagRequired("schema")

	list := &cobra.Command{
		Use:   "list",
		Short: "List datasets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Datasets []map[string]any `json:"datasets"`
			}
			return cf.call(cmd, "GET", "/api/v1/datasets", nil, &out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tFORMAT\tFIELDS\tWRITE MODE")
				for _, d := range out.Datasets {
					file, _ := d["file"].(map[string]any)
					fields, _ := d["fields"].([]any)
					fmt.Fprintf(tw, "%v\t%v\t%v\t%d\t%v\n", d["id"], d["name"], file["format"], len(fields), d["write_mode"])
				}
				tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a dataset",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out map[string]any
			return cf.call(cmd, "GET", "/api/v1/datasets/"+args[0], nil, &out, func(w io.Writer) { printDataset(w, out) })
		},
	}
	var force bool
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a dataset",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			path := "/api/v1/datasets/" + args[0]
			if force {
				path += "?force=true"
			}
			if err := c.do("DELETE", path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dataset %s deleted\n", args[0])
			return nil
		},
	}
	del.Flags().BoolVar(&force, "force", false, "delete even while sources exist")
	var limit, offset int64
	rows := &cobra.Command{
		Use:   "rows ID",
		Short: "Print a dataset's rows",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Columns []string `json:"columns"`
				Rows    [][]any  `json:"rows"`
			}
			return cf.call(cmd, "GET", fmt.Sprintf("/api/v1/datasets/%s/rows?limit=%d&offset=%d", args[0], limit, offset), nil, &out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, strings.Join(out.Columns, "\t"))
				for _, r := range out.Rows {
					cells := make([]string, len(r))
					for i, v := range r {
						if v == nil {
							cells[i] = "NULL"
						} else {
							cells[i] = fmt.Sprint(v)
						}
					}
					fmt.Fprintln(tw, strings.Join(cells, "\t"))
				}
				tw.Flush()
			})
		},
	}
	rows.Flags().Int64Var(&limit, "limit", 100, "rows at most")
	rows.Flags().Int64Var(&offset, "offset", 0, "rows to skip")

	var format, output string
	export := &cobra.Command{
		Use:   "export ID",
		Short: "Export a dataset's rows as CSV or Parquet",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			if output == "" {
				return errors.New("-o FILE is required (-o - writes to standard output)")
			}
			path := fmt.Sprintf("/api/v1/datasets/%s/export?format=%s", args[0], url.QueryEscape(format))
			if output == "-" {
				return c.downloadTo(path, cmd.OutOrStdout())
			}
			var check func(*os.File) error
			if format == "parquet" {
				check = parquetComplete
			}
			return c.download(path, output, check)
		},
	}
	export.Flags().StringVar(&format, "format", "csv", "csv or parquet")
	export.Flags().StringVarP(&output, "output", "o", "", "file to write (- for standard output)")
	cmd.AddCommand(create, list, show, del, rows, export)
	return cmd
}

func printDataset(w io.Writer, d map[string]any) {
	file, _ := d["file"].(map[string]any)
	fmt.Fprintf(w, "id          %v\nname        %v\nformat      %v\nwrite mode  %v\n", d["id"], d["name"], file["format"], d["write_mode"])
	if t, ok := d["table"].(map[string]any); ok {
		fmt.Fprintf(w, "table       %v\nsnapshot    %v\n", t["metadata_location"], t["current_snapshot_id"])
	}
	if v, ok := d["description"]; ok && v != "" {
		fmt.Fprintf(w, "description %v\n", v)
	}
	fmt.Fprintln(w, "fields:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fields, _ := d["fields"].([]any)
	for _, f := range fields {
		m, _ := f.(map[string]any)
		req := ""
		if m["required"] == true {
			req = "required"
		}
		fmt.Fprintf(tw, "  %v\t%v\t%s\n", m["name"], m["type"], req)
	}
	tw.Flush()
}
