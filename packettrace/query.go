package packettrace

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// ErrQuestion marks a question the trace cannot answer as asked (bad
// syntax, unknown pod or Service, a port the destination does not have):
// `nodenet trace` exits 2 on it, never 0 or 1.
var ErrQuestion = errors.New("bad trace question")

func questionf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrQuestion, fmt.Sprintf(format, args...))
}

// Query is one `nodenet trace` question, as the user typed it.
type Query struct {
	// From is the client: NAMESPACE/POD, NAMESPACE/SERVICE (one of its
	// endpoints, a local one if any) or an IP address.
	From string
	// To is NAMESPACE/SERVICE, NAMESPACE/POD (a Service of that name
	// wins) or an IP address (ClusterIP, external or load-balancer IP, a
	// node address for a NodePort, a pod's).
	To string
	// Port is N, NAME, N/PROTO or NAME/PROTO; NAME is a Service port's
	// name, N the port the client connects to (the node port on a node
	// address). Without a protocol: TCP for N, the named port's for NAME.
	Port string
}

// portSpec is Query.Port parsed.
type portSpec struct {
	number   int32
	name     string
	protocol v1.Protocol // "" when not given
}

func parsePort(s string) (portSpec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return portSpec{}, questionf("--port is required: N, NAME, N/PROTOCOL or NAME/PROTOCOL, e.g. 80/TCP or http")
	}
	value, proto, hasProto := strings.Cut(s, "/")
	var spec portSpec
	if hasProto {
		spec.protocol = v1.Protocol(strings.ToUpper(proto))
		switch spec.protocol {
		case v1.ProtocolTCP, v1.ProtocolUDP, v1.ProtocolSCTP:
		default:
			return spec, questionf("port %q: protocol must be TCP, UDP or SCTP", s)
		}
	}
	if n, err := strconv.ParseUint(value, 10, 16); err == nil {
		if n == 0 {
			return spec, questionf("port %q: want a port in [1, 65535]", s)
		}
		spec.number = int32(n)
		return spec, nil
	}
	if value == "" || strings.ContainsAny(value, " :") {
		return spec, questionf("port %q: want N, NAME, N/PROTOCOL or NAME/PROTOCOL", s)
	}
	spec.name = value
	return spec, nil
}

func (p portSpec) matchesProtocol(proto string) bool {
	return p.protocol == "" || string(p.protocol) == proto
}

// protocolOr is the given protocol, else def.
func (p portSpec) protocolOr(def string) string {
	if p.protocol == "" {
		return def
	}
	return string(p.protocol)
}

func (p portSpec) String() string {
	v := p.name
	if v == "" {
		v = strconv.Itoa(int(p.number))
	}
	if p.protocol != "" {
		v += "/" + string(p.protocol)
	}
	return v
}

// endpointRef is From or To parsed: an address, or a namespace/name.
type endpointRef struct {
	addr      netip.Addr
	namespace string
	name      string
}

func parseRef(flag, s string) (endpointRef, error) {
	s = strings.TrimSpace(s)
	if ns, name, ok := strings.Cut(s, "/"); ok {
		if ns == "" || name == "" || strings.Contains(name, "/") {
			return endpointRef{}, questionf("%s %q: want NAMESPACE/NAME or an IP address", flag, s)
		}
		return endpointRef{namespace: ns, name: name}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return endpointRef{}, questionf("%s %q: want NAMESPACE/NAME or an IP address", flag, s)
	}
	return endpointRef{addr: a.Unmap()}, nil
}

func (r endpointRef) key() string { return r.namespace + "/" + r.name }
