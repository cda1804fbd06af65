// Command inlet runs the managed-bucket platform: an AWS-compatible cloud
// endpoint and the Dataset Manager console, from one binary.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "inlet",
		Short:         "Managed S3 buckets for data partners, ingested into datasets",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newCloudCmd(), newTenantCmd(), newUserCmd(), newTokenCmd(), newDatasetCmd(), newSourceCmd(), newIngestCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "inlet:", err)
		os.Exit(1)
	}
}
