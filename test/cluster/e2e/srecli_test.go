//go:build e2e

package clustere2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// The SRE's view of a live node: `nodenet dump` and `nodenet trace` run in
// the node's network namespace against its agent (what `kubectl exec` into
// the DaemonSet's pod gives), checked against what the packets did.

// expectTrace runs `nodenet trace -o json` on nd (the node of to) for
// from -> to on the echo port and checks its verdict and exit status (0
// delivered, 1 refused).
func expectTrace(t *testing.T, nd *node, from, to *netns.Pod, allowed bool) {
	t.Helper()
	// The source by address: a node knows only its own pods by name.
	out, err := nd.ns.Exec(nodenetBin, "trace", "--from", from.IP, "--to", "web/"+to.PodName,
		"--port", fmt.Sprintf("%d/TCP", echoPort), "-o", "json")
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("nodenet trace on %s: %v", nd.name, err)
	}
	var view struct {
		Allowed bool     `json:"allowed"`
		Reasons []string `json:"reasons"`
	}
	if jerr := json.Unmarshal([]byte(jsonPart(out)), &view); jerr != nil {
		t.Fatalf("nodenet trace on %s: %v: %s", nd.name, jerr, out)
	}
	wantCode := 1
	if allowed {
		wantCode = 0
	}
	if view.Allowed != allowed || code != wantCode {
		t.Errorf("nodenet trace on %s, %s -> %s: allowed %v (exit %d), want %v as the packets showed: %s",
			nd.name, from.PodName, to.PodName, view.Allowed, code, allowed, out)
	}
}

// expectDump checks that `nodenet dump -o json` on nd names the Service
// and the endpoint address the packets reached.
func expectDump(t *testing.T, nd *node, service, endpointIP string) {
	t.Helper()
	out, err := nd.ns.Exec(nodenetBin, "dump", "-o", "json")
	if err != nil {
		t.Fatalf("nodenet dump on %s: %v", nd.name, err)
	}
	if !json.Valid([]byte(jsonPart(out))) {
		t.Fatalf("nodenet dump -o json on %s is not JSON: %s", nd.name, out)
	}
	if !strings.Contains(out, service) || !strings.Contains(out, endpointIP) {
		t.Errorf("nodenet dump on %s lacks Service %s or its endpoint %s: %s", nd.name, service, endpointIP, out)
	}
}

// jsonPart drops log lines the CLI may print before its JSON.
func jsonPart(out string) string {
	if i := strings.IndexAny(out, "{["); i >= 0 {
		return out[i:]
	}
	return out
}
