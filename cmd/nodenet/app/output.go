package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// outputFormat is -o/--output as kubectl spells it: table (the default,
// for humans), wide (the table with more columns), json and yaml (the
// agent's JSON view, for scripts).
type outputFormat string

const (
	outputTable outputFormat = "table"
	outputWide  outputFormat = "wide"
	outputJSON  outputFormat = "json"
	outputYAML  outputFormat = "yaml"
)

var outputFormats = []outputFormat{outputTable, outputWide, outputJSON, outputYAML}

func (o *outputFormat) String() string { return string(*o) }
func (o *outputFormat) Type() string   { return "format" }

func (o *outputFormat) Set(s string) error {
	for _, f := range outputFormats {
		if string(f) == s {
			*o = f
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, outputFormatList())
}

func outputFormatNames() []string {
	names := make([]string, len(outputFormats))
	for i, f := range outputFormats {
		names[i] = string(f)
	}
	return names
}

func outputFormatList() string { return strings.Join(outputFormatNames(), ", ") }

// addOutputFlag registers -o/--output on cmd, defaulting to table, with
// shell completion of its values. A bad value is a flag error, so it
// exits 2 like any other usage error.
func addOutputFlag(cmd *cobra.Command, o *outputFormat) {
	*o = outputTable
	cmd.Flags().VarP(o, "output", "o", "Output format: "+outputFormatList()+".")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return outputFormatNames(), cobra.ShellCompDirectiveNoFileComp
	}) // fails only for an unknown flag name
}

// tableFormat renders a view for humans; wide adds columns.
type tableFormat[T any] func(view T, wide bool) string

// printView prints v as -o asks: JSON or YAML of the view itself (the
// shape the agent serves), or a table through format.
func printView[T any](w io.Writer, v T, output outputFormat, format tableFormat[T]) error {
	switch output {
	case outputJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case outputYAML:
		out, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding YAML: %w", err)
		}
		_, err = w.Write(out)
		return err
	}
	_, err := io.WriteString(w, format(v, output == outputWide))
	return err
}
