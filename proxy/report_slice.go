package proxy

import (
	"errors"
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// checkSlice reports the invalid entries of slice (once per distinct
// problem). The entries themselves are skipped where the slice is read
// (endpointsFromSlices), so a bad address costs only that endpoint.
func (t *EndpointTracker) checkSlice(slice *discovery.EndpointSlice, removed bool) {
	name := types.NamespacedName{Namespace: slice.Namespace, Name: slice.Name}
	if removed {
		t.problems.forget("EndpointSlice", name)
		return
	}
	t.problems.set(slice, name, ReasonInvalidEndpointSlice, validateSlice(slice))
}

// validateSlice lists what endpointsFromSlices will skip: ports out of
// range, unknown protocols, and endpoints whose address does not parse or
// is not of the slice's family. FQDN slices are not proxied at all.
func validateSlice(slice *discovery.EndpointSlice) error {
	if slice.AddressType == discovery.AddressTypeFQDN {
		return nil
	}
	var errs []error
	for i, p := range slice.Ports {
		if p.Port != nil && (*p.Port < 1 || *p.Port > 65535) {
			errs = append(errs, fmt.Errorf("ports[%d]: port %d out of range", i, *p.Port))
		}
		if p.Protocol != nil && !knownProtocol(*p.Protocol) {
			errs = append(errs, fmt.Errorf("ports[%d]: unsupported protocol %q", i, *p.Protocol))
		}
	}
	for i, e := range slice.Endpoints {
		if err := validateAddress(slice.AddressType, e.Addresses); err != nil {
			errs = append(errs, fmt.Errorf("endpoints[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func validateAddress(family discovery.AddressType, addrs []string) error {
	if len(addrs) == 0 {
		return errors.New("no address")
	}
	addr, err := netip.ParseAddr(addrs[0])
	if err != nil {
		return fmt.Errorf("addresses[0]: invalid IP %q", addrs[0])
	}
	if !familyMatches(family, addr.Unmap()) {
		return fmt.Errorf("addresses[0]: %s is not an %s address", addrs[0], family)
	}
	return nil
}

// familyMatches tells whether addr belongs in a slice of type family.
func familyMatches(family discovery.AddressType, addr netip.Addr) bool {
	switch family {
	case discovery.AddressTypeIPv4:
		return addr.Is4()
	case discovery.AddressTypeIPv6:
		return addr.Is6()
	}
	return false
}

func knownProtocol(p v1.Protocol) bool {
	return p == v1.ProtocolTCP || p == v1.ProtocolUDP || p == v1.ProtocolSCTP
}
