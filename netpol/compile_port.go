package netpol

import (
	"errors"
	"fmt"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// compiledPort is a validated policy port: either a number range, a name to
// resolve in the destination pod, or (first == 0, name == "") every port.
type compiledPort struct {
	protocol    Protocol
	name        string
	first, last int32
}

func (p compiledPort) isNamed() bool { return p.name != "" }

func compilePort(p *networkingv1.NetworkPolicyPort) (compiledPort, error) {
	cp := compiledPort{protocol: v1.ProtocolTCP}
	if p.Protocol != nil {
		cp.protocol = *p.Protocol
	}
	if err := validateProtocol(cp.protocol); err != nil {
		return compiledPort{}, err
	}
	if p.Port == nil {
		if p.EndPort != nil {
			return compiledPort{}, errors.New("endPort requires port")
		}
		return cp, nil
	}
	if p.Port.Type == intstr.String {
		return compileNamedPort(cp, p)
	}
	return compileNumberedPort(cp, p)
}

func compileNamedPort(cp compiledPort, p *networkingv1.NetworkPolicyPort) (compiledPort, error) {
	if p.EndPort != nil {
		return compiledPort{}, errors.New("endPort cannot be used with a named port")
	}
	if p.Port.StrVal == "" {
		return compiledPort{}, errors.New("port name is empty")
	}
	cp.name = p.Port.StrVal
	return cp, nil
}

func compileNumberedPort(cp compiledPort, p *networkingv1.NetworkPolicyPort) (compiledPort, error) {
	cp.first, cp.last = p.Port.IntVal, p.Port.IntVal
	if p.EndPort != nil {
		cp.last = *p.EndPort
	}
	if err := validatePortNumber(cp.first); err != nil {
		return compiledPort{}, fmt.Errorf("port: %w", err)
	}
	if err := validatePortNumber(cp.last); err != nil {
		return compiledPort{}, fmt.Errorf("endPort: %w", err)
	}
	if cp.last < cp.first {
		return compiledPort{}, fmt.Errorf("endPort %d is below port %d", cp.last, cp.first)
	}
	return cp, nil
}

func validatePortNumber(n int32) error {
	if n < 1 || n > 65535 {
		return fmt.Errorf("%d is outside 1-65535", n)
	}
	return nil
}

func validateProtocol(p Protocol) error {
	switch p {
	case v1.ProtocolTCP, v1.ProtocolUDP, v1.ProtocolSCTP:
		return nil
	}
	return fmt.Errorf("unsupported protocol %q", p)
}
