package app

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxymode"
)

func newDumpRulesCommand() *cobra.Command {
	family, mode := "", ""
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Print the rules nodenet's proxy mode programmed, in the kernel tool's own format",
		Long: `Print the rules of the proxy mode (--proxy-mode, as given to the agent) for
each usable IP family, each family after a "# IPv4" / "# IPv6" comment line. The
format is the kernel tool's own (iptables-save for iptables). With --ip-family
the output is that family's only, valid input to the tool's restore command.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := lookupMode(mode)
			if err != nil {
				return fmt.Errorf("--proxy-mode: %w", err)
			}
			families, err := dumpFamilies(family)
			if err != nil {
				return err
			}
			return dumpRules(cmd.OutOrStdout(), cmd.ErrOrStderr(), m, families, len(families) > 1)
		},
	}
	cmd.Flags().StringVar(&family, "ip-family", family, "IPv4 or IPv6: print that family only. Empty: every usable family.")
	cmd.Flags().StringVar(&mode, "proxy-mode", mode, "Whose rules to print: "+modeNames()+". Empty: the default, "+proxyModes[0].Name()+".")
	return cmd
}

// dumpFamilies are the families --ip-family asks for.
func dumpFamilies(flag string) ([]v1.IPFamily, error) {
	switch v1.IPFamily(flag) {
	case "":
		return proxymode.Families, nil
	case v1.IPv4Protocol, v1.IPv6Protocol:
		return []v1.IPFamily{v1.IPFamily(flag)}, nil
	}
	return nil, fmt.Errorf("--ip-family: %q is not IPv4 or IPv6", flag)
}

// dumpRules prints each family's rules; messages go to errw, so stdout
// stays valid input to the tool's restore command. An unusable family is
// an error only when asked for by name.
func dumpRules(w, errw io.Writer, m proxymode.Mode, families []v1.IPFamily, headers bool) error {
	for _, fam := range families {
		if err := m.Usable(fam); err != nil {
			if !headers {
				return fmt.Errorf("reading %s %s rules: %w", fam, m.Name(), err)
			}
			fmt.Fprintf(errw, "Skipped %s: its %s is not usable here (%v).\n", fam, m.Name(), err)
			continue
		}
		rules, err := m.DumpRules(fam)
		if err != nil {
			return fmt.Errorf("reading %s %s rules: %w", fam, m.Name(), err)
		}
		if rules == "" {
			fmt.Fprintf(errw, "No nodenet %s %s rules found.\n", fam, m.Name())
			continue
		}
		if headers {
			fmt.Fprintf(w, "# %s\n", fam)
		}
		if _, err := io.WriteString(w, rules); err != nil {
			return err
		}
	}
	return nil
}
