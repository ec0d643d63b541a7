package ipvs

import (
	"fmt"
	"net/netip"
	"time"

	v1 "k8s.io/api/core/v1"
)

// ServiceKey identifies one IPVS virtual server: the frontend address,
// port and protocol (nodenet makes no fwmark services).
type ServiceKey struct {
	Addr     netip.Addr
	Port     uint16
	Protocol v1.Protocol
}

func (k ServiceKey) String() string {
	return fmt.Sprintf("%s/%s", netip.AddrPortFrom(k.Addr, k.Port), k.Protocol)
}

// VirtualServer is one IPVS service as nodenet programs it.
type VirtualServer struct {
	ServiceKey
	Scheduler string
	// PersistenceSeconds > 0 makes the service persistent (a client
	// sticks to one real server until idle that long): sessionAffinity
	// ClientIP.
	PersistenceSeconds uint32
}

// RealServer is one IPVS destination, always in NAT (masquerade) mode.
type RealServer struct {
	Addr   netip.Addr
	Port   uint16
	Weight int
	// ActiveConns and InactiveConns are read from the kernel, never
	// written: connections still using the real server.
	ActiveConns   int
	InactiveConns int
}

// AddrPort is the real server's address and port, its identity.
func (r RealServer) AddrPort() netip.AddrPort { return netip.AddrPortFrom(r.Addr, r.Port) }

// Kernel is the narrow IPVS surface the backend needs. Real: netlink
// (NewKernel); fake: ipvstest.Kernel. ipvstest.KernelContract keeps both
// honest (run against the real kernel inside the test VM).
type Kernel interface {
	// VirtualServers lists every virtual server of the network namespace
	// (those of other programs too: the caller decides what is its own).
	VirtualServers() ([]VirtualServer, error)
	AddVirtualServer(VirtualServer) error
	// UpdateVirtualServer changes the scheduler or persistence of an
	// existing virtual server, keeping its real servers and connections.
	UpdateVirtualServer(VirtualServer) error
	// DeleteVirtualServer removes it with its real servers.
	DeleteVirtualServer(ServiceKey) error
	RealServers(ServiceKey) ([]RealServer, error)
	AddRealServer(ServiceKey, RealServer) error
	// UpdateRealServer changes an existing real server's weight.
	UpdateRealServer(ServiceKey, RealServer) error
	DeleteRealServer(ServiceKey, netip.AddrPort) error
	// SetTimeouts sets the connection timeouts of the namespace's IPVS
	// (ipvsadm --set); a zero duration leaves that one as it is.
	SetTimeouts(tcp, tcpFin, udp time.Duration) error
}

// Addrs binds frontend addresses to the dummy interface DummyName: IPVS
// only sees packets the node delivers locally (LOCAL_IN), so each ClusterIP,
// external and load-balancer IP must be local to the node. The real one
// binds with a local route through DummyName (see localRoute), not an
// address.
type Addrs interface {
	// EnsureDummy creates DummyName (up) if it is missing.
	EnsureDummy() error
	// Bound lists the addresses bound to DummyName (none if it is missing).
	Bound() ([]netip.Addr, error)
	Bind(netip.Addr) error
	Unbind(netip.Addr) error
	// DeleteDummy removes DummyName and its addresses; missing is fine.
	DeleteDummy() error
}

// Sysctls writes /proc/sys keys of the agent's network namespace.
type Sysctls interface {
	// Set writes value to key (dotted form: net.ipv4.vs.conntrack).
	Set(key, value string) error
}
