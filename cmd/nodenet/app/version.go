package app

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/component-base/version"
)

// newVersionCommand is the one way to print the version: there is no
// --version flag beside it (two spellings of one question, of which only
// the flag needed help text of its own).
func newVersionCommand() *cobra.Command {
	raw := false
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print nodenet's version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			if raw {
				printRawVersion(cmd.OutOrStdout())
				return
			}
			printVersion(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "Print every field of the build information (git commit, Go version, platform).")
	return cmd
}

// printVersion prints the version set at build time with
// -ldflags "-X k8s.io/component-base/version.gitVersion=...".
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "nodenet %s\n", version.Get().GitVersion)
}

func printRawVersion(w io.Writer) {
	fmt.Fprintf(w, "%#v\n", version.Get())
}
