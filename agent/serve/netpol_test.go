package serve

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/internal/golden"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/netpolview"
	"github.com/nodenet/nodenet/test/objects"
)

// testNetpolModel: node-a runs x/db (isolated for ingress) and x/web (not
// isolated); x/api runs on node-b. x/db admits x/api on 5432/TCP and
// 10.9.0.0/16 except 10.9.1.0/24 on every port; x/broken is invalid.
func testNetpolModel(t *testing.T) *netpol.Model {
	t.Helper()
	db := objects.Selector("app=db")
	allow := objects.WithIngress(objects.Policy("x", "db-allow", db),
		objects.Peers(objects.PodPeer(objects.Selector("app=api"))), objects.PortNum(v1.ProtocolTCP, 5432))
	objects.WithIngress(allow, objects.Peers(objects.IPBlockPeer("10.9.0.0/16", "10.9.1.0/24")))
	broken := objects.WithIngress(objects.Policy("x", "broken", db), objects.Peers(objects.IPBlockPeer("10.0.0.0/33")))
	m, _ := netpol.Compute(netpol.Input{
		NodeName: "node-a",
		NodeIPs:  []netip.Addr{netip.MustParseAddr("192.168.0.1")},
		Pods: []netpol.Pod{
			testPod("x", "db", "node-a", "10.1.0.10", "db"),
			testPod("x", "web", "node-a", "10.1.0.11", "web"),
			testPod("x", "api", "node-b", "10.2.0.10", "api"),
		},
		Namespaces: []netpol.Namespace{{Name: "x"}},
		Policies:   []*networkingv1.NetworkPolicy{allow, broken},
	})
	return m
}

func testPod(ns, name, node, ip, app string) netpol.Pod {
	return netpol.PodFromAPI(objects.Pod(ns, name, objects.OnNode(node), objects.WithIPs(ip), objects.WithLabels("app="+app)))
}

func TestNetpolPoliciesJSON(t *testing.T) {
	m := testNetpolModel(t)
	rec := get(t, NewNetpolHandler(func() *netpol.Model { return m }), NetpolPoliciesPath)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s = %d %q", NetpolPoliciesPath, rec.Code, rec.Body.String())
	}
	golden.Check(t, "testdata/netpol-policies.json", rec.Body.String())
}

func TestNetpolNotSyncedYet(t *testing.T) {
	h := NewNetpolHandler(func() *netpol.Model { return nil })
	for _, path := range []string{NetpolPoliciesPath, NetpolTracePath + "?from=x/a&to=x/b&port=80/TCP"} {
		if rec := get(t, h, path); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("GET %s = %d, want 503 before the first sync", path, rec.Code)
		}
	}
}

func TestNetpolTrace(t *testing.T) {
	m := testNetpolModel(t)
	h := NewNetpolHandler(func() *netpol.Model { return m })
	tests := []struct {
		query       string
		wantCode    int
		wantAllowed bool
		wantText    string
	}{
		{"from=x/api&to=x/db&port=5432/TCP", 200, true, "ingress of x/db: allowed by x/db-allow"},
		{"from=x/api&to=x/db&port=80/tcp", 200, false, "x/broken (invalid, fails closed)"},
		{"from=10.9.2.1&to=10.1.0.10&port=53/UDP", 200, true, "allowed by x/db-allow"},
		{"from=10.9.1.1&to=x/db&port=53", 200, false, "denied"},
		{"from=x/db&to=x/web&port=80/TCP", 200, true, "not isolated"},
		{"from=x/nope&to=x/db&port=80/TCP", 404, false, "unknown pod x/nope"},
		{"from=x/api&to=x/db&port=80/ICMP", 400, false, "protocol must be TCP, UDP or SCTP"},
		{"from=x/api&to=x/db&port=0", 400, false, "PORT in [1, 65535]"},
		{"from=api&to=x/db&port=80", 400, false, "want NAMESPACE/POD or an IP"},
		{"to=x/db&port=80", 400, false, "from:"},
	}
	for _, tt := range tests {
		rec := get(t, h, NetpolTracePath+"?"+tt.query)
		if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantText) {
			t.Errorf("%s: %d %q, want %d containing %q", tt.query, rec.Code, rec.Body.String(), tt.wantCode, tt.wantText)
			continue
		}
		if rec.Code != http.StatusOK {
			continue
		}
		var view netpolview.TraceView
		if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		if view.Allowed != tt.wantAllowed || len(view.Reasons) == 0 {
			t.Errorf("%s: %+v, want allowed=%v with reasons", tt.query, view, tt.wantAllowed)
		}
	}
}

func TestNetpolDisabled(t *testing.T) {
	rec := get(t, NewNetpolDisabledHandler(), NetpolPoliciesPath)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "--netpol=false") {
		t.Errorf("GET = %d %q", rec.Code, rec.Body.String())
	}
}

func TestNewPoliciesViewOfNil(t *testing.T) {
	body, err := json.Marshal(netpolview.NewPoliciesView(nil))
	if err != nil || string(body) != `{"node":"","policyCount":0,"invalidPolicies":[],"pods":[]}` {
		t.Errorf("nil model = %s, %v", body, err)
	}
}
