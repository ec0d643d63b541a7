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

	"github.com/nodenet/nodenet/agent/serve"
)

// dumpTimeout bounds the request to a local agent; one that does not
// answer within it is stuck, and waiting longer will not help an SRE.
const dumpTimeout = 5 * time.Second

type dumpOptions struct {
	Server string
	Output outputFormat
}

func newDumpCommand() *cobra.Command {
	opts := dumpOptions{Server: "127.0.0.1:10249"}
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Print the Services the running agent programs, with their endpoints",
		Long: `Print the desired table of the running agent (read from its metrics server's
/dump): one block per Service port with its frontends and endpoints.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			view, err := fetchDump(cmd.Context(), opts.Server)
			if err != nil {
				return err
			}
			return printDump(cmd.OutOrStdout(), view, opts.Output)
		},
	}
	cmd.Flags().StringVar(&opts.Server, "server", opts.Server, "Address (host:port or URL) of the agent's metrics server (--metrics-bind-address).")
	addOutputFlag(cmd, &opts.Output)
	cmd.AddCommand(newDumpRulesCommand(), newDumpPoliciesCommand(), newDumpNFTablesCommand())
	return cmd
}

// dumpURL accepts "host:port" as kube-proxy's bind flags are written, or a
// full URL.
func dumpURL(server string) string { return agentURL(server, serve.DumpPath) }

// agentURL is the URL of path (with its query) on the agent's metrics
// server, given as "host:port" or a full URL.
func agentURL(server, path string) string {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	return strings.TrimSuffix(server, "/") + path
}

func fetchDump(ctx context.Context, server string) (serve.DumpView, error) {
	var view serve.DumpView
	err := fetchJSON(ctx, server, serve.DumpPath, &view)
	return view, err
}

// fetchJSON GETs path from the agent's metrics server and decodes its JSON
// answer into v. An answer other than 200 is an *agentStatusError.
func fetchJSON(ctx context.Context, server, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, dumpTimeout)
	defer cancel()
	url := agentURL(server, path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("--server %q: %w", server, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w (is the agent running, with --metrics-bind-address=%s?)", err, server)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return &agentStatusError{url: url, status: resp.Status, code: resp.StatusCode, body: strings.TrimSpace(string(body))}
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decoding %s: %w", url, err)
	}
	return nil
}

// agentStatusError is an agent's answer other than 200, with its message.
type agentStatusError struct {
	url, status, body string
	code              int
}

func (e *agentStatusError) Error() string {
	return fmt.Sprintf("GET %s: %s: %s", e.url, e.status, e.body)
}

func printDump(w io.Writer, view serve.DumpView, output outputFormat) error {
	return printView(w, view, output, formatDump)
}
