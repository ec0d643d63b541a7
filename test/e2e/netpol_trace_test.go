//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// traceScenario mixes every kind of rule, so that the model's verdicts are
// compared with packets on something non-trivial.
var traceScenario = []policyFile{
	{"x", "a-ipblock", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.13/32]}
  ports:
  - {protocol: TCP, port: 80}
  - {protocol: UDP, port: serve-81-udp}
`},
	{"x", "b-egress", `
podSelector: {matchLabels: {pod: b}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: {matchLabels: {ns: "y"}}
    podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [c]}]}
`},
	{"y", "deny-all", "podSelector: {}\npolicyTypes: [Ingress]\n"},
	{"y", "c-from-x", `
podSelector: {matchLabels: {pod: c}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: x}}
  ports:
  - {protocol: UDP, port: 80, endPort: 81}
`},
	{"z", "from-w", `
podSelector: {}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: w}}
  - podSelector: {}
`},
}

// traceVerdict is the part of `nodenet trace -o json` this test reads.
type traceVerdict struct {
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
}

// TestNetworkPolicyTraceMatchesPackets: for every pair of the matrix (IPv4
// and IPv6), what `nodenet trace` tells an SRE equals what the packets did.
func TestNetworkPolicyTraceMatchesPackets(t *testing.T) {
	w := newPolicyWorld(t)
	for _, p := range traceScenario {
		w.writePolicy(p)
	}
	w.expectMatrix(t, "the scenario is enforced", traceScenarioTruth)
	cells := w.cells(w.sources())
	got, err := w.probe(cells)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := w.traceAll(t, cells)
	var wrong []string
	for _, c := range cells {
		if c.src == c.dst {
			continue
		}
		if v := verdicts[c]; v.Allowed != got[c].ok {
			wrong = append(wrong, fmt.Sprintf("%s: trace allowed=%v %q, packets connected=%v (%s)",
				c, v.Allowed, strings.Join(v.Reasons, "; "), got[c].ok, got[c].detail))
		}
	}
	if len(wrong) > 0 {
		t.Fatalf("%d of %d pairs: nodenet trace disagrees with the packets:\n%s", len(wrong), len(cells), strings.Join(wrong, "\n"))
	}
	w.expectDumpPolicies(t)
}

// expectDumpPolicies checks `nodenet dump policies` shows the running
// agent's effective rules: who isolates x/a and x/b, and y/c's allow.
func (w *policyWorld) expectDumpPolicies(t *testing.T) {
	t.Helper()
	out, err := w.nodenet("dump", "policies")
	if err != nil {
		t.Fatalf("nodenet dump policies: %v\n%s", err, out)
	}
	for _, want := range []string{
		"x/a " + w.addrOf(xa, false),
		"ingress: isolated by x/a-ipblock",
		"egress: isolated by x/b-egress",
		"ingress: isolated by y/c-from-x, y/deny-all",
		"(y/c-from-x)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("nodenet dump policies does not show %q:\n%s", want, out)
		}
	}
}

// traceScenarioTruth is the scenario's intent, written by hand.
func traceScenarioTruth(c cell) bool {
	ingressOK := true
	switch {
	case c.dst == xa:
		fromPodRange := !c.v6 && c.src != remotePod && c.src != (podRef{NS: "y", Name: "a"})
		ingressOK = fromPodRange && c.port == 80 && c.proto == "tcp" || fromPodRange && c.port == 81 && c.proto == "udp"
	case c.dst == yc:
		ingressOK = c.src.NS == "x" && c.proto == "udp"
	case c.dst.NS == "y":
		ingressOK = false
	case c.dst.NS == "z":
		ingressOK = c.src == remotePod || c.src.NS == "z"
	}
	egressOK := c.src != xb || (c.dst.NS == "y" && c.dst.Name != "c")
	return ingressOK && egressOK
}

// traceAll asks the running agent about every cell, a few at a time.
func (w *policyWorld) traceAll(t *testing.T, cells []cell) map[cell]traceVerdict {
	t.Helper()
	out := map[cell]traceVerdict{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan cell)
	var errs []string
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				v, err := w.trace(c)
				mu.Lock()
				if err != nil {
					errs = append(errs, err.Error())
				}
				out[c] = v
				mu.Unlock()
			}
		}()
	}
	for _, c := range cells {
		if c.src != c.dst {
			work <- c
		}
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("nodenet trace failed %d times, first: %s", len(errs), errs[0])
	}
	return out
}

func (w *policyWorld) trace(c cell) (traceVerdict, error) {
	args := []string{"trace", "-o", "json",
		"--from", w.addrOf(c.src, c.v6), "--to", w.addrOf(c.dst, c.v6),
		"--port", strconv.Itoa(c.port) + "/" + strings.ToUpper(c.proto)}
	out, err := w.nodenet(args...)
	var v traceVerdict
	if jsonErr := json.Unmarshal([]byte(out), &v); jsonErr != nil {
		return v, fmt.Errorf("nodenet %s: %v (%v): %s", strings.Join(args, " "), jsonErr, err, out)
	}
	return v, nil
}
