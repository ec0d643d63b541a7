package netpol

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

const (
	tcp  = v1.ProtocolTCP
	udp  = v1.ProtocolUDP
	sctp = v1.ProtocolSCTP
)

// probe is one Verdict question with its expected answer. byPolicy, when
// set, must be named in the reasons (the policy that decided).
type probe struct {
	from, to Endpoint
	proto    Protocol
	port     int32
	want     bool
	byPolicy string
}

func allow(from, to Endpoint, proto Protocol, port int32) probe {
	return probe{from: from, to: to, proto: proto, port: port, want: true}
}

func deny(from, to Endpoint, proto Protocol, port int32) probe {
	return probe{from: from, to: to, proto: proto, port: port, want: false}
}

func (p probe) by(policy string) probe { p.byPolicy = policy; return p }

// pod is "ns/name" as an Endpoint.
func pod(key string) Endpoint {
	ns, name, _ := strings.Cut(key, "/")
	return EndpointPod(ns, name)
}

func ip(s string) Endpoint { return EndpointIP(netip.MustParseAddr(s)) }

type probeCase struct {
	name     string
	policies []*networkingv1.NetworkPolicy
	probes   []probe
}

func runProbeCases(t *testing.T, cases []probeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := computeValid(t, tc.policies...)
			for _, p := range tc.probes {
				checkProbe(t, m, p)
			}
		})
	}
}

func checkProbe(t *testing.T, m *Model, p probe) {
	t.Helper()
	got, reasons := m.Verdict(p.from, p.to, p.port, p.proto)
	if got != p.want {
		t.Errorf("Verdict(%s -> %s %s/%d) = %v, want %v; reasons: %q", p.from, p.to, p.proto, p.port, got, p.want, reasons)
		return
	}
	if p.byPolicy != "" && !strings.Contains(strings.Join(reasons, "\n"), p.byPolicy) {
		t.Errorf("Verdict(%s -> %s %s/%d) reasons %q do not name %s", p.from, p.to, p.proto, p.port, reasons, p.byPolicy)
	}
}
