package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/internal/golden"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/netpolview"
	"github.com/nodenet/nodenet/packettrace"
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
		// NetworkPolicy between pods, as the NetworkPolicy-only trace answered.
		{[]string{"--from", "x/api", "--to", "10.1.0.10", "--port", "5432/TCP"}, 0, "ingress of x/db: allowed by x/db-allow"},
		{[]string{"--from", "ops/client", "--to", "10.1.0.10", "--port", "5433"}, 0, "outcome  delivered\n"},
		{[]string{"--from", "x/api", "--to", "10.1.0.10", "--port", "80/TCP"}, 1,
			"ingress of x/db: denied, isolated by x/broken (invalid, fails closed), x/db-allow and no rule allows 10.2.0.10 TCP/80"},
		{[]string{"--from", "x/web", "--to", "10.9.1.5", "--port", "443/TCP"}, 1, "outcome  rejected\n"},
		{[]string{"--from", "x/web", "--to", "10.9.2.5", "--port", "443/TCP"}, 0, "allowed by x/web-egress"},
		{[]string{"--from", "x/web", "--to", "8.8.8.8", "--port", "53/udp"}, 0, "allowed by x/web-egress"},
		{[]string{"--from", "x/web", "--to", "192.168.0.1", "--port", "10250/TCP"}, 0, "192.168.0.1 is this node"},
		// Through Services: by name, by port name, by address.
		{[]string{"--from", "x/api", "--to", "x/db", "--port", "pg"}, 0, "matched ClusterIP 10.96.0.20:5432/TCP of Service x/db:pg"},
		{[]string{"--from", "x/web", "--to", "x/empty", "--port", "53/UDP"}, 1, "x/empty has no usable endpoint"},
		{[]string{"--from", "x/web", "--to", "x/local", "--port", "80"}, 1, "outcome  dropped\n"},
		{[]string{"--from", "198.51.100.7", "--to", "203.0.113.30", "--port", "http"}, 0, "externalTrafficPolicy: Local, this node's endpoints only: 10.1.0.11:8080 (always)"},
		{[]string{"--from", "192.0.2.1", "--to", "203.0.113.30", "--port", "80/TCP"}, 1, "outside loadBalancerSourceRanges"},
		{[]string{"--from", "198.51.100.7", "--to", "192.168.0.1", "--port", "30080"}, 0, "matched NodePort 192.168.0.1:30080/TCP"},
		{[]string{"--from", "x/web", "--to", "x/web", "--port", "http"}, 1, "outcome  partly-delivered\n"},
		{[]string{"--from", "x/web", "--to", "10.96.0.20", "--port", "80"}, 1, "no Service port 80 is served on it"},
		{[]string{"--from", "10.9.9.9", "--to", "10.8.8.8", "--port", "80"}, 0, "outcome  forwarded\n"},
		// Questions it cannot answer.
		{[]string{"--from", "x/done", "--to", "x/db", "--port", "5432"}, 2, ""},
		{[]string{"--from", "x/api", "--to", "x/db", "--port", "80"}, 2, ""},
		{[]string{"--from", "x/api", "--to", "x/nope", "--port", "80"}, 2, ""},
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
				t.Errorf("a refusal prints %q on stderr, want nothing", err)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output:\n%s\nwant it to contain:\n%s", out, tt.wantOut)
			}
		})
	}
}

func TestTraceJSONAndYAML(t *testing.T) {
	args := append([]string{"trace", "--from", "x/api", "--to", "x/db", "--port", "pg"}, offlineArgs...)
	for _, format := range []string{"json", "yaml"} {
		out, err := execute(t, append(args, "-o", format)...)
		if err != nil {
			t.Fatal(err)
		}
		var a packettrace.Answer
		if err := yaml.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("-o %s: %v\n%s", format, err, out)
		}
		if a.Outcome != packettrace.Delivered || !a.Allowed || len(a.Endpoints) != 1 || a.Endpoints[0].Pod != "x/db" ||
			!slices.Contains(a.Reasons, "10.1.0.10:5432 allowed: ingress of x/db: allowed by x/db-allow") {
			t.Errorf("-o %s: %+v", format, a)
		}
	}
}

func TestTraceFlagErrors(t *testing.T) {
	tests := map[string][]string{
		"--manifests with --server":       {"--manifests", offlineDir, "--server", "127.0.0.1:1", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"--hostname-override alone":       {"--hostname-override", "node-a", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"--cluster-cidr without manifest": {"--cluster-cidr", "10.0.0.0/8", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"-o xml":                          {"-o", "xml", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"--manifests not a directory":     {"--manifests", offlineDir + "/pods.yaml", "--from", "x/a", "--to", "x/b", "--port", "80"},
		"no agent listening":              {"--server", "127.0.0.1:1", "--from", "x/a", "--to", "x/b", "--port", "80"},
	}
	for name, args := range tests {
		if _, err := execute(t, append([]string{"trace"}, args...)...); ExitCode(err) != 2 {
			t.Errorf("%s: exit %d (%v), want 2", name, ExitCode(err), err)
		}
	}
}

// fakeAgent serves node's table on /dump and the views of m on /netpol/,
// as the agent's metrics server does (m nil: not synced yet).
func fakeAgent(t *testing.T, dump serve.DumpView, m *netpol.Model) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/netpol/", serve.NewNetpolHandler(func() *netpol.Model { return m }))
	mux.HandleFunc(serve.DumpPath, func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(dump) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// offlineAgent is a fake agent serving what the offline test folder gives.
func offlineAgent(t *testing.T) (string, *netpol.Model) {
	t.Helper()
	opts := traceOptions{netpolSourceOptions: netpolSourceOptions{Manifests: offlineDir, HostnameOverride: "node-a"}}
	node, err := opts.offlineNode(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m := node.Policy.(packettrace.ModelPolicy).Model
	return fakeAgent(t, node.Dump, m), m
}

func TestTraceFromAgent(t *testing.T) {
	server, _ := offlineAgent(t)
	out, err := execute(t, "trace", "--server", server, "--from", "x/web", "--to", "x/db", "--port", "pg")
	if ExitCode(err) != 1 || !strings.Contains(out, "egress of x/web: denied") {
		t.Errorf("exit %d, output %q; want a refusal by x/web's egress", ExitCode(err), out)
	}
	out, err = execute(t, "trace", "--server", server, "--from", "x/web", "--to", "x/empty", "--port", "53/UDP")
	if ExitCode(err) != 1 || !strings.Contains(out, "outcome  rejected") {
		t.Errorf("no endpoints: exit %d, output %q", ExitCode(err), out)
	}
	// x/api runs on node-b: the agent knows local pods only by name.
	_, err = execute(t, "trace", "--server", server, "--from", "x/api", "--to", "x/db", "--port", "pg")
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "give its IP address") {
		t.Errorf("remote pod by name: exit %d, %v; want 2 asking for its IP", ExitCode(err), err)
	}
	notYet := fakeAgent(t, serve.DumpView{}, nil)
	_, err = execute(t, "trace", "--server", notYet, "--from", "x/a", "--to", "x/db", "--port", "80/TCP")
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "not computed yet") {
		t.Errorf("unsynced agent: exit %d, %v", ExitCode(err), err)
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
	out, err := execute(t, "dump", "policies", "--server", fakeAgent(t, serve.DumpView{}, m))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/dump-policies.golden", out)
	out, err = execute(t, "dump", "policies", "-o", "json", "--server", fakeAgent(t, serve.DumpView{}, m))
	if err != nil {
		t.Fatal(err)
	}
	var view netpolview.PoliciesView
	if err := json.Unmarshal([]byte(out), &view); err != nil || len(view.Pods) != 2 {
		t.Errorf("-o json: %d pods, %v", len(view.Pods), err)
	}
	if _, err := execute(t, "dump", "policies", "--server", fakeAgent(t, serve.DumpView{}, nil)); err == nil || !strings.Contains(err.Error(), "503") {
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
	if got := formatPolicies(view, false); got != want {
		t.Errorf("formatPolicies =\n%s\nwant\n%s", got, want)
	}
	if got := formatPolicies(netpolview.PoliciesView{Node: "node-a"}, false); got != "No pods on node node-a.\n" {
		t.Errorf("no pods: %q", got)
	}
}

// TestTraceFromAgentWithoutNetpol: an agent with --netpol=false answers
// 404 on /netpol/; the trace then says nothing filters, and still follows
// the Services.
func TestTraceFromAgentWithoutNetpol(t *testing.T) {
	opts := traceOptions{netpolSourceOptions: netpolSourceOptions{Manifests: offlineDir, HostnameOverride: "node-a"}}
	node, err := opts.offlineNode(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/netpol/", serve.NewNetpolDisabledHandler())
	mux.HandleFunc(serve.DumpPath, func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(node.Dump) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	out, err := execute(t, "trace", "--server", srv.URL, "--from", "10.1.0.11", "--to", "10.96.0.20", "--port", "pg")
	if err != nil || !strings.Contains(out, "not filtered (NetworkPolicy off)") || !strings.Contains(out, "outcome  delivered") {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}

// TestFormatTraceGolden pins the table and wide layouts of one answer.
func TestFormatTraceGolden(t *testing.T) {
	a := packettrace.Answer{
		Source: "10.1.0.11 (x/web)", Destination: "10.96.0.30:80/TCP (x/web:http)", Outcome: packettrace.PartlyDelivered,
		Steps: []packettrace.Step{
			{Stage: packettrace.StageSource, Detail: "10.1.0.11 is pod x/web"},
			{Stage: packettrace.StageFrontend, Detail: "matched ClusterIP 10.96.0.30:80/TCP of Service x/web:http"},
			{Stage: packettrace.StageOutcome, Detail: "partly-delivered to 10.1.0.11:8080 (x/web)"},
		},
		Endpoints: []packettrace.Target{
			{Address: "10.1.0.11:8080", Pod: "x/web", Probability: 0.5, Local: true, Masquerade: true, PolicyAllowed: true,
				PolicyReasons: []string{"x/web to itself"}, Outcome: packettrace.Delivered},
			{Address: "10.2.0.30:8080", Probability: 0.5, PolicyReasons: []string{"egress of x/web: denied"}, Outcome: packettrace.Rejected},
		},
	}
	golden.Check(t, "testdata/trace.golden", formatTrace(a, false))
	golden.Check(t, "testdata/trace-wide.golden", formatTrace(a, true))
}
