// Package ipvstest holds stateful fakes of the ipvs package's kernel
// surfaces and the contract that keeps them and the real ones alike.
package ipvstest

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nodenet/nodenet/ipvs"
)

// Kernel is a fake ipvs.Kernel: it keeps virtual and real servers,
// refuses what the kernel refuses (duplicates, unknown schedulers,
// missing services), counts calls and can be dumped.
type Kernel struct {
	mu       sync.Mutex
	services map[ipvs.ServiceKey]*fakeService
	// Calls counts every method call by name (e.g. "VirtualServers").
	Calls map[string]int
	// Ops logs every successful change, e.g. "add 10.96.0.1:443/TCP" or
	// "weight 10.96.0.1:443/TCP 10.0.0.1:6443 0".
	Ops []string
	// Conns sets, per real server, the connection counts the fake
	// reports (tests stand in for clients with it).
	Conns map[netip.AddrPort][2]int
	fail  map[string]error
	// Timeouts are the last values set (tcp, tcpfin, udp), zero unset.
	Timeouts [3]time.Duration
}

type fakeService struct {
	vs   ipvs.VirtualServer
	real map[netip.AddrPort]ipvs.RealServer
}

// Schedulers are the scheduler names the fake (and the test VM's kernel)
// knows.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "sh", "mh"}

// NewKernel returns an empty fake.
func NewKernel() *Kernel {
	return &Kernel{services: map[ipvs.ServiceKey]*fakeService{}, Calls: map[string]int{},
		Conns: map[netip.AddrPort][2]int{}, fail: map[string]error{}}
}

// FailNext makes the next call of method fail with err.
func (k *Kernel) FailNext(method string, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fail[method] = err
}

func (k *Kernel) call(method string) error {
	k.Calls[method]++
	if err := k.fail[method]; err != nil {
		delete(k.fail, method)
		return err
	}
	return nil
}

func (k *Kernel) VirtualServers() ([]ipvs.VirtualServer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.call("VirtualServers"); err != nil {
		return nil, err
	}
	out := make([]ipvs.VirtualServer, 0, len(k.services))
	for _, s := range k.services {
		out = append(out, s.vs)
	}
	return out, nil
}

func validVirtual(vs ipvs.VirtualServer) error {
	if !slices.Contains(Schedulers, vs.Scheduler) {
		return fmt.Errorf("virtual server %s: unknown scheduler %q", vs.ServiceKey, vs.Scheduler)
	}
	if !vs.Addr.IsValid() || vs.Protocol == "" {
		return fmt.Errorf("virtual server %s: incomplete", vs.ServiceKey)
	}
	return nil
}

func (k *Kernel) AddVirtualServer(vs ipvs.VirtualServer) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.call("AddVirtualServer"); err != nil {
		return err
	}
	if err := validVirtual(vs); err != nil {
		return err
	}
	if k.services[vs.ServiceKey] != nil {
		return fmt.Errorf("adding virtual server %s: file exists", vs.ServiceKey)
	}
	k.services[vs.ServiceKey] = &fakeService{vs: vs, real: map[netip.AddrPort]ipvs.RealServer{}}
	k.Ops = append(k.Ops, "add "+vs.ServiceKey.String())
	return nil
}

func (k *Kernel) UpdateVirtualServer(vs ipvs.VirtualServer) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.call("UpdateVirtualServer"); err != nil {
		return err
	}
	s, err := k.service(vs.ServiceKey)
	if err != nil {
		return err
	}
	if err := validVirtual(vs); err != nil {
		return err
	}
	s.vs = vs
	k.Ops = append(k.Ops, "update "+vs.ServiceKey.String())
	return nil
}

func (k *Kernel) service(key ipvs.ServiceKey) (*fakeService, error) {
	s := k.services[key]
	if s == nil {
		return nil, fmt.Errorf("virtual server %s: no such process", key)
	}
	return s, nil
}

func (k *Kernel) DeleteVirtualServer(key ipvs.ServiceKey) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.call("DeleteVirtualServer"); err != nil {
		return err
	}
	if _, err := k.service(key); err != nil {
		return err
	}
	delete(k.services, key)
	k.Ops = append(k.Ops, "delete "+key.String())
	return nil
}

func (k *Kernel) RealServers(key ipvs.ServiceKey) ([]ipvs.RealServer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.call("RealServers"); err != nil {
		return nil, err
	}
	s := k.services[key]
	if s == nil {
		return nil, nil
	}
	out := make([]ipvs.RealServer, 0, len(s.real))
	for ap, rs := range s.real {
		c := k.Conns[ap]
		rs.ActiveConns, rs.InactiveConns = c[0], c[1]
		out = append(out, rs)
	}
	return out, nil
}

func (k *Kernel) realServerEdit(method string, key ipvs.ServiceKey, rs ipvs.RealServer, wantPresent bool) (*fakeService, error) {
	if err := k.call(method); err != nil {
		return nil, err
	}
	s, err := k.service(key)
	if err != nil {
		return nil, err
	}
	if _, ok := s.real[rs.AddrPort()]; ok != wantPresent {
		return nil, fmt.Errorf("real server %s of %s: present %v", rs.AddrPort(), key, ok)
	}
	return s, nil
}

func (k *Kernel) AddRealServer(key ipvs.ServiceKey, rs ipvs.RealServer) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.realServerEdit("AddRealServer", key, rs, false)
	if err != nil {
		return err
	}
	rs.ActiveConns, rs.InactiveConns = 0, 0
	s.real[rs.AddrPort()] = rs
	k.Ops = append(k.Ops, fmt.Sprintf("add-real %s %s %d", key, rs.AddrPort(), rs.Weight))
	return nil
}

func (k *Kernel) UpdateRealServer(key ipvs.ServiceKey, rs ipvs.RealServer) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.realServerEdit("UpdateRealServer", key, rs, true)
	if err != nil {
		return err
	}
	rs.ActiveConns, rs.InactiveConns = 0, 0
	s.real[rs.AddrPort()] = rs
	k.Ops = append(k.Ops, fmt.Sprintf("weight %s %s %d", key, rs.AddrPort(), rs.Weight))
	return nil
}

func (k *Kernel) DeleteRealServer(key ipvs.ServiceKey, ap netip.AddrPort) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.realServerEdit("DeleteRealServer", key, ipvs.RealServer{Addr: ap.Addr(), Port: ap.Port()}, true)
	if err != nil {
		return err
	}
	delete(s.real, ap)
	k.Ops = append(k.Ops, fmt.Sprintf("delete-real %s %s", key, ap))
	return nil
}

// Dump prints the state as ipvsadm -Ln would, sorted:
// "TCP 10.96.0.1:443 rr persistent 10800" then "  -> 10.0.0.1:6443 w1".
func (k *Kernel) Dump() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var lines []string
	for key, s := range k.services {
		head := fmt.Sprintf("%s %s %s", key.Protocol, netip.AddrPortFrom(key.Addr, key.Port), s.vs.Scheduler)
		if s.vs.PersistenceSeconds > 0 {
			head += fmt.Sprintf(" persistent %d", s.vs.PersistenceSeconds)
		}
		var reals []string
		for ap, rs := range s.real {
			reals = append(reals, fmt.Sprintf("  -> %s w%d", ap, rs.Weight))
		}
		sort.Strings(reals)
		lines = append(lines, strings.Join(append([]string{head}, reals...), "\n"))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func (k *Kernel) SetTimeouts(tcp, tcpFin, udp time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.call("SetTimeouts"); err != nil {
		return err
	}
	for i, d := range []time.Duration{tcp, tcpFin, udp} {
		if d != 0 {
			k.Timeouts[i] = d
		}
	}
	return nil
}

// ResetCounts forgets the calls and operations seen so far.
func (k *Kernel) ResetCounts() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Calls, k.Ops = map[string]int{}, nil
}
