//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// policyYAML wraps a NetworkPolicy spec (YAML indented by two spaces).
func policyYAML(ns, name, spec string) string {
	return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: %q\n  namespace: %q\nspec:\n%s",
		name, ns, indent(strings.TrimLeft(spec, "\n"), "  "))
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// policyFile is one NetworkPolicy manifest of a step.
type policyFile struct{ ns, name, spec string }

func (p policyFile) file() string { return "np-" + p.ns + "-" + p.name + ".yaml" }

// netpolStep applies policies (and removes the files in drop), then
// expects the matrix.
type netpolStep struct {
	what     string
	policies []policyFile
	drop     []policyFile
	want     expectation
}

// netpolScenario is a sequence of steps; its policies are all removed
// after it, and the matrix must then be open again.
type netpolScenario struct {
	name  string
	steps []netpolStep
}

var (
	xa = podRef{NS: "x", Name: "a"}
	xb = podRef{NS: "x", Name: "b"}
	yc = podRef{NS: "y", Name: "c"}
)

// runNetpolScenarios runs each scenario as a subtest in one world.
func runNetpolScenarios(t *testing.T, w *policyWorld, scenarios []netpolScenario) {
	for _, sc := range scenarios {
		// The world's file helpers fail the running subtest; t.Run returns
		// after the subtest's cleanups, so the parent is restored after it.
		t.Run(sc.name, func(t *testing.T) {
			w.t = t
			written := map[string]bool{}
			t.Cleanup(func() {
				for file := range written {
					w.remove(file)
				}
				w.expectMatrix(t, sc.name+": back to open after its policies are deleted", allowAll)
			})
			for _, step := range sc.steps {
				for _, p := range step.drop {
					w.remove(p.file())
					delete(written, p.file())
				}
				for _, p := range step.policies {
					w.write(p.file(), policyYAML(p.ns, p.name, p.spec))
					written[p.file()] = true
				}
				w.expectMatrix(t, sc.name+": "+step.what, step.want)
			}
		})
		w.t = t
	}
}

const denyAllIngress = `
podSelector: {}
policyTypes: [Ingress]
`

// The matrix scenarios. Each expectation is written from the policy's
// intent, not from nodenet's model.
var matrixScenarios = []netpolScenario{
	{name: "default-deny-ingress", steps: []netpolStep{{
		what:     "nothing reaches namespace x",
		policies: []policyFile{{"x", "deny", denyAllIngress}},
		want:     func(c cell) bool { return c.dst.NS != "x" },
	}}},
	{name: "deny-then-allow-all", steps: []netpolStep{
		{
			what:     "deny-all isolates x",
			policies: []policyFile{{"x", "deny", denyAllIngress}},
			want:     func(c cell) bool { return c.dst.NS != "x" },
		},
		{
			what:     "an allow-all policy beside it opens x again (policies add up)",
			policies: []policyFile{{"x", "allow", "podSelector: {}\ningress:\n- {}\n"}},
			want:     allowAll,
		},
	}},
	{name: "default-deny-egress", steps: []netpolStep{{
		what:     "pods of x reach nothing",
		policies: []policyFile{{"x", "deny-egress", "podSelector: {}\npolicyTypes: [Egress]\n"}},
		want:     func(c cell) bool { return c.src.NS != "x" },
	}}},
	{name: "deny-both-directions", steps: []netpolStep{{
		what:     "y neither sends nor receives",
		policies: []policyFile{{"y", "deny-all", "podSelector: {}\npolicyTypes: [Ingress, Egress]\n"}},
		want:     func(c cell) bool { return c.dst.NS != "y" && c.src.NS != "y" },
	}}},
	{name: "pod-selector", steps: []netpolStep{{
		what: "x/a only from x/b",
		policies: []policyFile{{"x", "a-from-b", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}
`}},
		want: func(c cell) bool { return c.dst != xa || c.src == xb },
	}}},
	{name: "namespace-selector", steps: []netpolStep{{
		what: "x/a only from namespace y",
		policies: []policyFile{{"x", "a-from-y", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: "y"}}
`}},
		want: func(c cell) bool { return c.dst != xa || c.src.NS == "y" },
	}}},
	{name: "namespace-and-pod-selector-in-one-peer", steps: []netpolStep{{
		what: "x/a only from y/c",
		policies: []policyFile{{"x", "a-from-yc", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: "y"}}
    podSelector: {matchLabels: {pod: c}}
`}},
		want: func(c cell) bool { return c.dst != xa || c.src == yc },
	}}},
	{name: "two-peers-or", steps: []netpolStep{{
		what: "x/a from namespace y or from x/b",
		policies: []policyFile{{"x", "a-from-y-or-b", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: "y"}}
  - podSelector: {matchLabels: {pod: b}}
`}},
		want: func(c cell) bool { return c.dst != xa || c.src.NS == "y" || c.src == xb },
	}}},
	{name: "match-expressions", steps: []netpolStep{{
		what: "x/a from pods b or c outside namespace x",
		policies: []policyFile{{"x", "a-expr", `
podSelector: {matchExpressions: [{key: pod, operator: In, values: [a]}]}
ingress:
- from:
  - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}
    podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}
`}},
		want: func(c cell) bool {
			return c.dst != xa || (c.src.NS != "x" && (c.src.Name == "b" || c.src.Name == "c"))
		},
	}}},
	{name: "ip-block-with-except", steps: []netpolStep{{
		what: "x/a from the IPv4 pod range except y/a, and from the outside IPv6 range",
		policies: []policyFile{{"x", "a-ipblock", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.13/32]}
  - ipBlock: {cidr: "2001:db8::/64"}
`}},
		want: func(c cell) bool {
			if c.dst != xa {
				return true
			}
			if c.v6 {
				return c.src == remotePod
			}
			return c.src != remotePod && c.src != (podRef{NS: "y", Name: "a"})
		},
	}}},
	{name: "named-ports", steps: []netpolStep{{
		what: "x/a only on its ports named serve-81-tcp and serve-80-udp",
		policies: []policyFile{{"x", "a-named", `
podSelector: {matchLabels: {pod: a}}
ingress:
- ports:
  - port: serve-81-tcp
  - port: serve-80-udp
    protocol: UDP
`}},
		want: func(c cell) bool {
			return c.dst != xa || (c.proto == "tcp" && c.port == 81) || (c.proto == "udp" && c.port == 80)
		},
	}}},
	{name: "end-port", steps: []netpolStep{{
		what: "x/a only on UDP 80-81",
		policies: []policyFile{{"x", "a-range", `
podSelector: {matchLabels: {pod: a}}
ingress:
- ports:
  - {protocol: UDP, port: 80, endPort: 81}
`}},
		want: func(c cell) bool { return c.dst != xa || c.proto == "udp" },
	}}},
	{name: "egress-only", steps: []netpolStep{{
		what: "x/a sends only to namespace y on TCP 80; its ingress stays open",
		policies: []policyFile{{"x", "a-egress", `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: {matchLabels: {ns: "y"}}
  ports:
  - {protocol: TCP, port: 80}
`}},
		want: func(c cell) bool { return c.src != xa || (c.dst.NS == "y" && c.proto == "tcp" && c.port == 80) },
	}}},
	{name: "egress-named-port-per-destination", steps: []netpolStep{{
		what: "x/b sends to every pod, only to the port each names serve-81-udp",
		policies: []policyFile{{"x", "b-egress-named", `
podSelector: {matchLabels: {pod: b}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: {}
  ports:
  - {protocol: UDP, port: serve-81-udp}
`}},
		want: func(c cell) bool { return c.src != xb || (c.proto == "udp" && c.port == 81) },
	}}},
	{name: "policies-add-up", steps: []netpolStep{{
		what: "x/a from namespace y (one policy) or namespace z (another)",
		policies: []policyFile{
			{"x", "a-from-y", "podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: \"y\"}}\n"},
			{"x", "a-from-z", "podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: z}}\n"},
		},
		want: func(c cell) bool { return c.dst != xa || c.src.NS == "y" || c.src.NS == "z" },
	}}},
	{name: "from-another-node", steps: []netpolStep{{
		what: "x/a only from the pod on node nnt-node-2 (namespace w)",
		policies: []policyFile{{"x", "a-from-w", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: w}}
`}},
		want: func(c cell) bool { return c.dst != xa || c.src == remotePod },
	}}},
	{name: "update-and-delete", steps: []netpolStep{
		{
			what:     "x/a from namespace y",
			policies: []policyFile{{"x", "a-moving", "podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: \"y\"}}\n"}},
			want:     func(c cell) bool { return c.dst != xa || c.src.NS == "y" },
		},
		{
			what:     "the same policy updated to namespace z",
			policies: []policyFile{{"x", "a-moving", "podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: z}}\n"}},
			want:     func(c cell) bool { return c.dst != xa || c.src.NS == "z" },
		},
		{
			what: "deleted: traffic comes back",
			drop: []policyFile{{"x", "a-moving", ""}},
			want: allowAll,
		},
	}},
}

// TestNetworkPolicyMatrix probes every (source, destination, port,
// protocol, family) of the world under each scenario and compares with its
// truth table; on failure it prints the tables that differ.
func TestNetworkPolicyMatrix(t *testing.T) {
	w := newPolicyWorld(t)
	w.expectMatrix(t, "no policies: everything connects", allowAll)
	runNetpolScenarios(t, w, matrixScenarios)
}
