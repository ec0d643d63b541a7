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

// netlinkKernel is the real Kernel: listings and timeouts through
// moby/ipvs, changes through genlWriter (a leaner path for what a full
// sync does 10^5 times).
type netlinkKernel struct {
	h *ipvs.Handle
	w *genlWriter
}

// NewKernel opens IPVS in the network namespace at nsPath ("" = the
// current one). It fails when the kernel has no IPVS.
func NewKernel(nsPath string) (Kernel, error) {
	h, err := ipvs.New(nsPath)
	if err != nil {
		return nil, fmt.Errorf("ipvs: %w", err)
	}
	w, err := newGenlWriter(nsPath)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("ipvs: %w", err)
	}
	return &netlinkKernel{h: h, w: w}, nil
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
	if err := k.w.do(ipvsCmdNewService, func(b *attrBuf) { b.service(vs, true) }); err != nil {
		return fmt.Errorf("adding virtual server %s: %w", vs.ServiceKey, err)
	}
	return nil
}

func (k *netlinkKernel) UpdateVirtualServer(vs VirtualServer) error {
	if err := k.w.do(ipvsCmdSetService, func(b *attrBuf) { b.service(vs, true) }); err != nil {
		return fmt.Errorf("updating virtual server %s: %w", vs.ServiceKey, err)
	}
	return nil
}

func (k *netlinkKernel) DeleteVirtualServer(key ServiceKey) error {
	if err := k.w.do(ipvsCmdDelService, func(b *attrBuf) { b.service(VirtualServer{ServiceKey: key}, false) }); err != nil {
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

func (k *netlinkKernel) AddRealServer(key ServiceKey, rs RealServer) error {
	if err := k.w.do(ipvsCmdNewDest, func(b *attrBuf) { b.service(VirtualServer{ServiceKey: key}, false); b.dest(rs, true) }); err != nil {
		return fmt.Errorf("adding real server %s to %s: %w", rs.AddrPort(), key, err)
	}
	return nil
}

func (k *netlinkKernel) UpdateRealServer(key ServiceKey, rs RealServer) error {
	if err := k.w.do(ipvsCmdSetDest, func(b *attrBuf) { b.service(VirtualServer{ServiceKey: key}, false); b.dest(rs, true) }); err != nil {
		return fmt.Errorf("updating real server %s of %s: %w", rs.AddrPort(), key, err)
	}
	return nil
}

func (k *netlinkKernel) DeleteRealServer(key ServiceKey, ap netip.AddrPort) error {
	if err := k.w.do(ipvsCmdDelDest, func(b *attrBuf) {
		b.service(VirtualServer{ServiceKey: key}, false)
		b.dest(RealServer{Addr: ap.Addr(), Port: ap.Port()}, false)
	}); err != nil {
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
