package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"inlet/internal/bucketconf"
	"inlet/internal/cloud"
	"inlet/internal/identity"
)

func newCloudCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cloud", Short: "Manage the embedded cloud"}
	acct := &cobra.Command{Use: "account", Short: "Manage cloud accounts"}
	cmd.AddCommand(acct)

	var data, name, id string
	var asJSON bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a partner account and print its root access key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return errors.New("--name is required")
			}
			a, k, err := cloud.CreateAccount(cmd.Context(), cloud.Options{
				DataDir: data, MasterKey: os.Getenv("INLET_MASTER_KEY"),
			}, name, id)
			switch {
			case errors.Is(err, identity.ErrInvalidID):
				return fmt.Errorf("--id %q: an account id is 12 digits (dashes allowed)", id)
			case errors.Is(err, identity.ErrAccountExists):
				return fmt.Errorf("--id %q: an account with this id exists already", id)
			case err != nil:
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]string{
					"account_id": a.ID, "name": a.Name,
					"access_key_id": k.ID, "secret_access_key": k.Secret.Reveal(),
				})
			}
			fmt.Fprintf(out, "account_id         %s\nname               %s\naccess_key_id      %s\nsecret_access_key  %s\n",
				a.ID, a.Name, k.ID, k.Secret.Reveal())
			fmt.Fprintln(out, "\nThe secret is shown only now.")
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&data, "data", "./data", "data directory of the cloud (INLET_DATA)")
	f.StringVar(&name, "name", "", "account name")
	f.StringVar(&id, "id", "", "12-digit account id (default: random)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	if v, ok := os.LookupEnv("INLET_DATA"); ok {
		f.Set("data", v)
	}
	acct.AddCommand(create)
	cmd.AddCommand(newDenialsCmd())
	return cmd
}

func newDenialsCmd() *cobra.Command {
	var data, bucket string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "denials",
		Short: "Show the requests denied against a bucket, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bucket == "" {
				return errors.New("--bucket is required")
			}
			ds, err := cloud.Denials(cmd.Context(), cloud.Options{DataDir: data}, bucket, limit)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if ds == nil {
					ds = []bucketconf.Denial{}
				}
				return enc.Encode(ds)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TIME\tPRINCIPAL\tOPERATION\tKEY\tREASON")
			for _, d := range ds {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", d.Time.Format(time.RFC3339), d.Principal, d.Operation, d.Key, d.Reason)
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "./data", "data directory of the cloud (INLET_DATA)")
	f.StringVar(&bucket, "bucket", "", "bucket name")
	f.IntVar(&limit, "limit", 100, "how many entries at most")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	if v, ok := os.LookupEnv("INLET_DATA"); ok {
		f.Set("data", v)
	}
	return cmd
}
