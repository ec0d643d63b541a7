package app

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/component-base/version"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print nodenet's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			printVersion(cmd.OutOrStdout())
		},
	}
}

// printVersion prints the version set at build time with
// -ldflags "-X k8s.io/component-base/version.gitVersion=...".
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "nodenet %s\n", version.Get().GitVersion)
}

func printRawVersion(w io.Writer) {
	fmt.Fprintf(w, "%#v\n", version.Get())
}

const (
	versionFlagName = "version"
	versionFalse    = "false"
	versionTrue     = "true"
	versionRaw      = "raw"
)

// versionValue is --version as Kubernetes components spell it (--version,
// --version=raw). component-base's verflag is not used: it registers the
// flag on pflag.CommandLine, which cobra makes global, so `nodenet agent
// --version` would be accepted and ignored; and it names the program
// "Kubernetes".
type versionValue string

func (v *versionValue) String() string   { return string(*v) }
func (v *versionValue) Type() string     { return "version" }
func (v *versionValue) IsBoolFlag() bool { return true }

func (v *versionValue) Set(s string) error {
	if s == versionRaw {
		*v = versionRaw
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true, false or raw")
	}
	*v = versionValue(strconv.FormatBool(b))
	return nil
}

func addVersionFlag(fs *pflag.FlagSet) {
	v := versionValue(versionFalse)
	fs.Var(&v, versionFlagName, "--version, --version=raw prints version information and quits")
	fs.Lookup(versionFlagName).NoOptDefVal = versionTrue
}
