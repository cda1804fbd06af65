package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newIngestCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "ingest", Short: "Ingest file sets into datasets"}
	cf.register(cmd)

	var dataset, source int64
	var folder string
	trigger := &cobra.Command{
		Use:   "trigger",
		Short: "Ingest a file-set folder (ingestion/datasets/version=1/datasetId=ID/FOLDER/) of a source",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out map[string]any
			return cf.call(cmd, "POST", fmt.Sprintf("/api/v1/datasets/%d/ingestions", dataset),
				map[string]any{"source": source, "folder": folder}, &out, func(w io.Writer) { printRun(w, out) })
		},
	}
	tf := trigger.Flags()
	tf.Int64Var(&dataset, "dataset", 0, "dataset id")
	tf.Int64Var(&source, "source", 0, "source id (the managed bucket)")
	tf.StringVar(&folder, "folder", "", "file-set folder, e.g. 2025-01-15")
	for _, f := range []string{"dataset", "source", "folder"} {
		trigger.MarkFlagRequired(f)
	}

	var listDataset int64
	list := &cobra.Command{
		Use:   "list",
		Short: "List a dataset's ingestions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Ingestions []map[string]any `json:"ingestions"`
			}
			return cf.call(cmd, "GET", fmt.Sprintf("/api/v1/datasets/%d/ingestions", listDataset), nil, &out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tFOLDER\tSTATUS\tROWS\tREJECTED\tSNAPSHOT")
				for _, r := range out.Ingestions {
					snap := r["snapshot_id"]
					if snap == nil {
						snap = "-" // not committed
					}
					fmt.Fprintf(tw, "%v\t%v\t%v\t%v\t%v\t%v\n", r["id"], r["folder"], r["status"], r["rows_accepted"], r["rows_rejected"], snap)
				}
				tw.Flush()
			})
		},
	}
	list.Flags().Int64Var(&listDataset, "dataset", 0, "dataset id")
	list.MarkFlagRequired("dataset")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an ingestion: status, progress, files and first rejects",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out map[string]any
			return cf.call(cmd, "GET", "/api/v1/ingestions/"+url.PathEscape(args[0]), nil, &out, func(w io.Writer) { printRun(w, out) })
		},
	}
	var rejectsOut string
	rejects := &cobra.Command{
		Use:   "rejects ID",
		Short: "Download every reject of an ingestion (JSON Lines)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var raw []byte
			if err := c.do("GET", "/api/v1/ingestions/"+url.PathEscape(args[0])+"/rejects", nil, &raw); err != nil {
				return err
			}
			if rejectsOut == "" || rejectsOut == "-" {
				_, err = cmd.OutOrStdout().Write(raw)
				return err
			}
			return os.WriteFile(rejectsOut, raw, 0o644)
		},
	}
	rejects.Flags().StringVarP(&rejectsOut, "output", "o", "", "file to write (default standard output)")
	cmd.AddCommand(trigger, list, show, rejects)
	return cmd
}

func printRun(w io.Writer, r map[string]any) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range []string{"id", "dataset_id", "folder", "status", "error", "files_done", "files_total",
		"bytes_done", "bytes_total", "rows_accepted", "rows_rejected", "snapshot_id", "version", "replaces",
		"duplicates", "receipt_key"} {
		if v, ok := r[k]; ok && v != "" && v != nil {
			fmt.Fprintf(tw, "%s\t%v\n", k, v)
		}
	}
	tw.Flush()
	if ws, ok := r["warnings"].([]any); ok {
		for _, x := range ws {
			fmt.Fprintf(w, "warning: %v\n", x)
		}
	}
	if files, ok := r["files"].([]any); ok {
		fmt.Fprintln(w, "files:")
		for _, f := range files {
			m, _ := f.(map[string]any)
			line := fmt.Sprintf("  %v: %v, %v rows, %v rejected", m["file"], m["status"], m["rows_accepted"], m["rows_rejected"])
			if reason, _ := m["reason"].(string); reason != "" {
				line += ": " + reason
			}
			fmt.Fprintln(w, line)
			if ws, ok := m["warnings"].([]any); ok {
				for _, x := range ws {
					fmt.Fprintf(w, "    warning: %v\n", x)
				}
			}
			if rj, ok := m["first_rejects"].([]any); ok {
				for i, x := range rj {
					if i == 10 {
						fmt.Fprintf(w, "    … (inlet ingest rejects %v)\n", r["id"])
						break
					}
					e, _ := x.(map[string]any)
					where := fmt.Sprintf("line %v", e["line"])
					if field, _ := e["field"].(string); field != "" {
						where += ", field " + field
					}
					if n, _ := e["lines"].(float64); n > 1 {
						where += fmt.Sprintf(" (%v lines)", n)
					}
					fmt.Fprintf(w, "    %s: %v (%q)\n", where, e["reason"], e["value"])
				}
			}
		}
	}
}
