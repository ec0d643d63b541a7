package netpolview

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/netpol"
)

// ErrTraceUsage marks a trace query that cannot be parsed; a query that
// parses but names an unknown pod is a lookup error instead (ErrTraceLookup).
var (
	ErrTraceUsage  = errors.New("bad trace query")
	ErrTraceLookup = errors.New("cannot resolve trace endpoints")
)

// TraceQuery is one `nodenet trace` question, as the user typed it.
type TraceQuery struct {
	From, To string // "namespace/pod" or an IP
	Port     string // "N/PROTO", "N" meaning TCP
}

// Trace answers q with m's Verdict. Errors wrap ErrTraceUsage or
// ErrTraceLookup.
func Trace(m *netpol.Model, q TraceQuery) (TraceView, error) {
	from, to, port, proto, err := q.Parse()
	if err != nil {
		return TraceView{}, err
	}
	if err := m.Resolve(from, to); err != nil {
		return TraceView{}, fmt.Errorf("%w: %w", ErrTraceLookup, err)
	}
	allowed, reasons := m.Verdict(from, to, port, proto)
	if reasons == nil {
		reasons = []string{}
	}
	return TraceView{Allowed: allowed, Reasons: reasons}, nil
}

// Parse checks the query; errors wrap ErrTraceUsage.
func (q TraceQuery) Parse() (from, to netpol.Endpoint, port int32, proto netpol.Protocol, err error) {
	if from, err = ParseTraceEndpoint(q.From); err != nil {
		return from, to, 0, "", fmt.Errorf("%w: from: %w", ErrTraceUsage, err)
	}
	if to, err = ParseTraceEndpoint(q.To); err != nil {
		return from, to, 0, "", fmt.Errorf("%w: to: %w", ErrTraceUsage, err)
	}
	if port, proto, err = ParseTracePort(q.Port); err != nil {
		return from, to, 0, "", fmt.Errorf("%w: port: %w", ErrTraceUsage, err)
	}
	return from, to, port, proto, nil
}

// ParseTraceEndpoint reads "namespace/pod" or an IP address.
func ParseTraceEndpoint(s string) (netpol.Endpoint, error) {
	s = strings.TrimSpace(s)
	if ns, name, ok := strings.Cut(s, "/"); ok {
		if ns == "" || name == "" || strings.Contains(name, "/") {
			return netpol.Endpoint{}, fmt.Errorf("%q: want NAMESPACE/POD or an IP", s)
		}
		return netpol.EndpointPod(ns, name), nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netpol.Endpoint{}, fmt.Errorf("%q: want NAMESPACE/POD or an IP", s)
	}
	return netpol.EndpointIP(ip), nil
}

// ParseTracePort reads "N/PROTO" (protocol TCP, UDP or SCTP, any case) or
// a bare "N", which means TCP.
func ParseTracePort(s string) (int32, netpol.Protocol, error) {
	num, proto, hasProto := strings.Cut(strings.TrimSpace(s), "/")
	protocol := v1.ProtocolTCP
	if hasProto {
		protocol = v1.Protocol(strings.ToUpper(proto))
	}
	switch protocol {
	case v1.ProtocolTCP, v1.ProtocolUDP, v1.ProtocolSCTP:
	default:
		return 0, "", fmt.Errorf("%q: protocol must be TCP, UDP or SCTP", s)
	}
	port, err := strconv.ParseUint(num, 10, 16)
	if err != nil || port == 0 {
		return 0, "", fmt.Errorf("%q: want PORT/PROTOCOL with PORT in [1, 65535], e.g. 80/TCP", s)
	}
	return int32(port), protocol, nil
}
