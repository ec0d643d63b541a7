package app

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/internal/golden"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/netpolview"
)

const offlineDir = "testdata/netpol"

// offlineArgs make a command compute from the test folder for node-a.
var offlineArgs = []string{"--manifests", offlineDir, "--hostname-override", "node-a"}

func TestTraceOffline(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"--from", "x/api", "--to", "x/db", "--port", "5432/TCP"}, 0,
			"allow\n  ingress of x/db: allowed by x/db-allow\n"},
		{[]string{"--from", "ops/client", "--to", "10.1.0.10", "--port", "5433"}, 0,
			"allow\n  ingress of x/db: allowed by x/db-allow\n"},
		{[]string{"--from", "x/api", "--to", "x/db", "--port", "80/TCP"}, 1,
			"deny\n  ingress of x/db: denied, isolated by x/broken (invalid, fails closed), x/db-allow and no rule allows 10.2.0.10 TCP/80\n"},
		{[]string{"--from", "x/web", "--to", "10.9.1.5", "--port", "443/TCP"}, 1, "deny\n"},
		{[]string{"--from", "x/web", "--to", "10.9.2.5", "--port", "443/TCP"}, 0, "allowed by x/web-egress"},
		{[]string{"--from", "x/web", "--to", "8.8.8.8", "--port", "53/udp"}, 0, "allowed by x/web-egress"},
		{[]string{"--from", "x/web", "--to", "192.168.0.1", "--port", "10250/TCP"}, 0, "192.168.0.1 is this node"},
		{[]string{"--from", "x/api", "--to", "ops/client", "--port", "80"}, 0, "not filtered here"},
		{[]string{"--from", "x/done", "--to", "x/db", "--port", "5432"}, 2, ""},
		{[]string{"--from", "x/api", "--to", "x/db", "--port", "5432/ICMP"}, 2, ""},
		{[]string{"--from", "x/api", "--to", "x/db"}, 2, ""},
		{[]string{"--from", "x/api", "--to", "x/db", "--port", "80", "extra"}, 2, ""},
		{[]string{"--from", "x/api", "--to", "x/db", "--port", "80", "--bogus"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := execute(t, append(append([]string{"trace"}, offlineArgs...), tt.args...)...)
			if code := ExitCode(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d; output:\n%s", code, err, tt.wantCode, out)
			}
			if tt.wantCode == 1 && err.Error() != "" {
				t.Errorf("a deny prints %q on stderr, want nothing", err)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output:\n%s\nwant it to contain:\n%s", out, tt.wantOut)
			}
		})
	}
}

func TestTraceJSON(t *testing.T) {
	args := append([]string{"trace", "-o", "json", "--from", "x/api", "--to", "x/db", "--port", "5432/TCP"}, offlineArgs...)
	out, err := execute(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"allowed\": true,\n  \"reasons\": [\n    \"ingress of x/db: allowed by x/db-allow\"\n  ]\n}\n"
	if out != want {
		t.Errorf("-o json:\n%s\nwant\n%s", out, want)
	}
}

func TestTraceFlagErrors(t *testing.T) {
	tests := map[string][]string{
		"--manifests with --server":   {"--manifests", offlineDir, "--server", "127.0.0.1:1", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"--hostname-override alone":   {"--hostname-override", "node-a", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"-o yaml":                     {"-o", "yaml", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"--manifests not a directory": {"--manifests", offlineDir + "/pods.yaml", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"no agent listening":          {"--server", "127.0.0.1:1", "--from", "x/a", "--to", "x/b", "--port", "80"},
	}
	for name, args := range tests {
		if _, err := execute(t, append([]string{"trace"}, args...)...); ExitCode(err) != 2 {
			t.Errorf("%s: exit %d (%v), want 2", name, ExitCode(err), err)
		}
	}
}

// fakeAgent serves the netpol views of m as the agent's metrics server.
func fakeAgent(t *testing.T, m *netpol.Model) string {
	t.Helper()
	srv := httptest.NewServer(serve.NewNetpolHandler(func() *netpol.Model { return m }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTraceFromAgent(t *testing.T) {
	m, err := offlineModel(t.Context(), offlineDir, "node-a")
	if err != nil {
		t.Fatal(err)
	}
	server := fakeAgent(t, m)
	out, err := execute(t, "trace", "--server", server, "--from", "x/api", "--to", "x/db", "--port", "80/TCP")
	if ExitCode(err) != 1 || !strings.HasPrefix(out, "deny\n") {
		t.Errorf("exit %d, output %q; want a deny", ExitCode(err), out)
	}
	_, err = execute(t, "trace", "--server", server, "--from", "x/nope", "--to", "x/db", "--port", "80/TCP")
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "unknown pod x/nope") {
		t.Errorf("unknown pod: exit %d, %v; want 2 naming the pod", ExitCode(err), err)
	}
	notYet := fakeAgent(t, nil)
	_, err = execute(t, "trace", "--server", notYet, "--from", "x/a", "--to", "x/db", "--port", "80/TCP")
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "not computed yet") {
		t.Errorf("unsynced agent: exit %d, %v", ExitCode(err), err)
	}
}

func TestFormatTrace(t *testing.T) {
	got := formatTrace(netpolview.TraceView{Allowed: false, Reasons: []string{"egress of x/a: denied", "ingress of x/b: allowed by x/p"}})
	want := "deny\n  egress of x/a: denied\n  ingress of x/b: allowed by x/p\n"
	if got != want {
		t.Errorf("formatTrace = %q, want %q", got, want)
	}
}

func TestDumpPoliciesOffline(t *testing.T) {
	out, err := execute(t, append([]string{"dump", "policies"}, offlineArgs...)...)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/dump-policies.golden", out)

	out, err = execute(t, append([]string{"dump", "policies", "-o", "json"}, offlineArgs...)...)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/dump-policies-json.golden", out)
}

func TestDumpPoliciesFromAgent(t *testing.T) {
	m, err := offlineModel(t.Context(), offlineDir, "node-a")
	if err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, "dump", "policies", "--server", fakeAgent(t, m))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/dump-policies.golden", out)
	out, err = execute(t, "dump", "policies", "-o", "json", "--server", fakeAgent(t, m))
	if err != nil {
		t.Fatal(err)
	}
	var view netpolview.PoliciesView
	if err := json.Unmarshal([]byte(out), &view); err != nil || len(view.Pods) != 2 {
		t.Errorf("-o json: %d pods, %v", len(view.Pods), err)
	}
	if _, err := execute(t, "dump", "policies", "--server", fakeAgent(t, nil)); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("unsynced agent: %v, want the 503", err)
	}
}

func TestFormatPoliciesEdgeCases(t *testing.T) {
	many := make([]string, 7)
	for i := range many {
		many[i] = "x/p" + string(rune('0'+i))
	}
	view := netpolview.PoliciesView{Node: "node-a", Pods: []netpolview.PodPolicyView{{
		Pod: "x/a", IPs: []string{"10.1.0.1", "fd00::1"},
		Ingress: netpolview.DirectionView{Isolated: true, IsolatedBy: []string{"x/deny"}, Rules: []netpolview.RuleView{}},
		Egress: netpolview.DirectionView{Isolated: true, IsolatedBy: []string{"x/e"}, Rules: []netpolview.RuleView{
			{Policy: "x/e", Peer: netpolview.PeerView{Kind: "anywhere"}, Ports: []netpolview.PortView{{Protocol: "UDP"}}},
			{Policy: "x/e", Peer: netpolview.PeerView{Kind: "pods", Pods: many, Addresses: many[:2]}},
			{Policy: "x/e", Peer: netpolview.PeerView{Kind: "pods"}},
		}},
	}}}
	want := `x/a 10.1.0.1, fd00::1
  ingress: isolated by x/deny
    nothing allowed
  egress: isolated by x/e
    allow to anywhere ports UDP (x/e)
    allow to pods x/p0, x/p1, x/p2, x/p3, x/p4, ... (+2 more) (x/p0, x/p1) ports any (x/e)
    allow to pods (none match now) ports any (x/e)
`
	if got := formatPolicies(view); got != want {
		t.Errorf("formatPolicies =\n%s\nwant\n%s", got, want)
	}
	if got := formatPolicies(netpolview.PoliciesView{Node: "node-a"}); got != "No pods on node node-a.\n" {
		t.Errorf("no pods: %q", got)
	}
}
