package netpol

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
)

// Protocol is a core/v1 protocol: TCP, UDP or SCTP.
type Protocol = v1.Protocol

// PortRange is a resolved policy port: numbers only, named ports already
// looked up in the destination pod.
type PortRange struct {
	Protocol Protocol
	// First and Last bound the range inclusively; First == 0 means every
	// port of Protocol (a policy port with only a protocol).
	First, Last int32
}

// AllPorts reports whether the range covers every port of its protocol.
func (r PortRange) AllPorts() bool { return r.First == 0 }

// Contains reports whether port/protocol falls in the range.
func (r PortRange) Contains(port int32, protocol Protocol) bool {
	if protocol != r.Protocol {
		return false
	}
	return r.AllPorts() || (port >= r.First && port <= r.Last)
}

func (r PortRange) String() string {
	switch {
	case r.AllPorts():
		return string(r.Protocol)
	case r.First == r.Last:
		return fmt.Sprintf("%s:%d", r.Protocol, r.First)
	default:
		return fmt.Sprintf("%s:%d-%d", r.Protocol, r.First, r.Last)
	}
}
