package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/proxy/serve"
)

// dumpTimeout bounds the request to a local agent; one that does not
// answer within it is stuck, and waiting longer will not help an SRE.
const dumpTimeout = 5 * time.Second

type dumpOptions struct {
	Server string
	Output string
}

func newDumpCommand() *cobra.Command {
	opts := dumpOptions{Server: "127.0.0.1:10249", Output: "text"}
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Print the Services the running agent programs, with their endpoints",
		Long: `Print the desired table of the running agent (read from its metrics server's
/dump): one block per Service port with its frontends and endpoints.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Output != "text" && opts.Output != "json" {
				return fmt.Errorf("-o/--output: %q is not text or json", opts.Output)
			}
			view, err := fetchDump(cmd.Context(), opts.Server)
			if err != nil {
				return err
			}
			return printDump(cmd.OutOrStdout(), view, opts.Output)
		},
	}
	cmd.Flags().StringVar(&opts.Server, "server", opts.Server, "Address (host:port or URL) of the agent's metrics server (--metrics-bind-address).")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", opts.Output, "Output format: text or json.")
	cmd.AddCommand(newDumpRulesCommand())
	return cmd
}

func newDumpRulesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "Print nodenet's IPv4 iptables chains and rules (iptables-save format)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules, err := iptables.SaveRules(v1.IPv4Protocol)
			if err != nil {
				return fmt.Errorf("reading IPv4 iptables rules: %w", err)
			}
			if rules == "" {
				// stderr, so stdout stays valid iptables-save input.
				fmt.Fprintln(cmd.ErrOrStderr(), "No nodenet IPv4 iptables rules found.")
				return nil
			}
			_, err = io.WriteString(cmd.OutOrStdout(), rules)
			return err
		},
	}
}

// dumpURL accepts "host:port" as kube-proxy's bind flags are written, or a
// full URL.
func dumpURL(server string) string {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	return strings.TrimSuffix(server, "/") + serve.DumpPath
}

func fetchDump(ctx context.Context, server string) (serve.DumpView, error) {
	var view serve.DumpView
	ctx, cancel := context.WithTimeout(ctx, dumpTimeout)
	defer cancel()
	url := dumpURL(server)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return view, fmt.Errorf("--server %q: %w", server, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return view, fmt.Errorf("%w (is the agent running, with --metrics-bind-address=%s?)", err, server)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return view, fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		return view, fmt.Errorf("decoding %s: %w", url, err)
	}
	return view, nil
}

func printDump(w io.Writer, view serve.DumpView, output string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(view)
	}
	_, err := io.WriteString(w, formatDump(view))
	return err
}
