package ipvs

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/moby/ipvs"
	v1 "k8s.io/api/core/v1"
)

// svcFlagPersistent is IP_VS_SVC_F_PERSISTENT (include/uapi/linux/ip_vs.h).
const svcFlagPersistent = 0x1

// netlinkKernel is the real Kernel, over moby/ipvs's generic netlink.
type netlinkKernel struct{ h *ipvs.Handle }

// NewKernel opens IPVS in the network namespace at nsPath ("" = the
// current one). It fails when the kernel has no IPVS.
func NewKernel(nsPath string) (Kernel, error) {
	h, err := ipvs.New(nsPath)
	if err != nil {
		return nil, fmt.Errorf("ipvs: %w", err)
	}
	return &netlinkKernel{h: h}, nil
}

var protoNumbers = map[v1.Protocol]uint16{
	v1.ProtocolTCP: syscall.IPPROTO_TCP, v1.ProtocolUDP: syscall.IPPROTO_UDP, v1.ProtocolSCTP: syscall.IPPROTO_SCTP,
}

func family(a netip.Addr) uint16 {
	if a.Is4() {
		return syscall.AF_INET
	}
	return syscall.AF_INET6
}

func toIP(a netip.Addr) net.IP { return net.IP(a.AsSlice()) }

func fromIP(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func toService(k ServiceKey) *ipvs.Service {
	mask := uint32(0xffffffff)
	if k.Addr.Is6() {
		mask = 128
	}
	return &ipvs.Service{Address: toIP(k.Addr), Port: k.Port, Protocol: protoNumbers[k.Protocol],
		AddressFamily: family(k.Addr), Netmask: mask}
}

func toVirtual(vs VirtualServer) *ipvs.Service {
	s := toService(vs.ServiceKey)
	s.SchedName = vs.Scheduler
	if vs.PersistenceSeconds > 0 {
		s.Flags = svcFlagPersistent
		s.Timeout = vs.PersistenceSeconds
	}
	return s
}

func (k *netlinkKernel) VirtualServers() ([]VirtualServer, error) {
	svcs, err := k.h.GetServices()
	if err != nil {
		return nil, fmt.Errorf("listing virtual servers: %w", err)
	}
	out := make([]VirtualServer, 0, len(svcs))
	for _, s := range svcs {
		proto := protocolOf(s.Protocol)
		if s.FWMark != 0 || proto == "" {
			continue // fwmark services: not nodenet's, never touched
		}
		vs := VirtualServer{ServiceKey: ServiceKey{Addr: fromIP(s.Address), Port: s.Port, Protocol: proto},
			Scheduler: s.SchedName}
		if s.Flags&svcFlagPersistent != 0 {
			vs.PersistenceSeconds = s.Timeout
		}
		out = append(out, vs)
	}
	return out, nil
}

func protocolOf(n uint16) v1.Protocol {
	for p, num := range protoNumbers {
		if num == n {
			return p
		}
	}
	return ""
}

func (k *netlinkKernel) AddVirtualServer(vs VirtualServer) error {
	if err := k.h.NewService(toVirtual(vs)); err != nil {
		return fmt.Errorf("adding virtual server %s: %w", vs.ServiceKey, err)
	}
	return nil
}

func (k *netlinkKernel) UpdateVirtualServer(vs VirtualServer) error {
	if err := k.h.UpdateService(toVirtual(vs)); err != nil {
		return fmt.Errorf("updating virtual server %s: %w", vs.ServiceKey, err)
	}
	return nil
}

func (k *netlinkKernel) DeleteVirtualServer(key ServiceKey) error {
	if err := k.h.DelService(toService(key)); err != nil {
		return fmt.Errorf("deleting virtual server %s: %w", key, err)
	}
	return nil
}

func (k *netlinkKernel) RealServers(key ServiceKey) ([]RealServer, error) {
	dsts, err := k.h.GetDestinations(toService(key))
	if err != nil {
		return nil, fmt.Errorf("listing real servers of %s: %w", key, err)
	}
	out := make([]RealServer, 0, len(dsts))
	for _, d := range dsts {
		out = append(out, RealServer{Addr: fromIP(d.Address), Port: d.Port, Weight: d.Weight,
			ActiveConns: d.ActiveConnections, InactiveConns: d.InactiveConnections})
	}
	return out, nil
}

func toDestination(rs RealServer) *ipvs.Destination {
	return &ipvs.Destination{Address: toIP(rs.Addr), Port: rs.Port, Weight: rs.Weight,
		ConnectionFlags: ipvs.ConnectionFlagMasq, AddressFamily: family(rs.Addr)}
}

func (k *netlinkKernel) AddRealServer(key ServiceKey, rs RealServer) error {
	if err := k.h.NewDestination(toService(key), toDestination(rs)); err != nil {
		return fmt.Errorf("adding real server %s to %s: %w", rs.AddrPort(), key, err)
	}
	return nil
}

func (k *netlinkKernel) UpdateRealServer(key ServiceKey, rs RealServer) error {
	if err := k.h.UpdateDestination(toService(key), toDestination(rs)); err != nil {
		return fmt.Errorf("updating real server %s of %s: %w", rs.AddrPort(), key, err)
	}
	return nil
}

func (k *netlinkKernel) DeleteRealServer(key ServiceKey, ap netip.AddrPort) error {
	if err := k.h.DelDestination(toService(key), toDestination(RealServer{Addr: ap.Addr(), Port: ap.Port()})); err != nil {
		return fmt.Errorf("deleting real server %s of %s: %w", ap, key, err)
	}
	return nil
}

func (k *netlinkKernel) SetTimeouts(tcp, tcpFin, udp time.Duration) error {
	if err := k.h.SetConfig(&ipvs.Config{TimeoutTCP: tcp, TimeoutTCPFin: tcpFin, TimeoutUDP: udp}); err != nil {
		return fmt.Errorf("setting IPVS timeouts: %w", err)
	}
	return nil
}
