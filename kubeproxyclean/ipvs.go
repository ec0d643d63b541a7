package kubeproxyclean

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/ipvs"
)

// VirtualServers is the part of ipvs.Kernel the cleanup needs (real:
// ipvs.NewKernel; fake: ipvstest.Kernel).
type VirtualServers interface {
	VirtualServers() ([]ipvs.VirtualServer, error)
	DeleteVirtualServer(ipvs.ServiceKey) error
}

// Links is the part of rtnetlink the cleanup needs.
type Links interface {
	// LinkAddrs lists the addresses on link name; found is false when
	// there is no such link.
	LinkAddrs(name string) (addrs []netip.Addr, found bool, err error)
	DeleteLink(name string) error
}

// Ipsets is the part of the ipset tool the cleanup needs.
type Ipsets interface {
	// Save is `ipset save`: "create NAME TYPE ..." and "add NAME MEMBER"
	// lines.
	Save() (string, error)
	Destroy(name string) error
}

// ipvsState is what kube-proxy's IPVS mode left, read before anything is
// removed: the sets name its NodePorts, and the cleanup of the iptables
// rules comes between deleting the virtual servers and destroying the
// sets (a set in use by a rule cannot be destroyed).
type ipvsState struct {
	sets      []string
	nodePorts sets.Set[protoPort]
}

type protoPort struct {
	proto v1.Protocol
	port  uint16
}

// readIpsets reads kube-proxy's sets and the NodePorts they hold.
func readIpsets(set Ipsets) (ipvsState, error) {
	st := ipvsState{nodePorts: sets.New[protoPort]()}
	if set == nil {
		return st, nil
	}
	save, err := set.Save()
	if err != nil {
		return st, fmt.Errorf("ipset save: %w", err)
	}
	for _, line := range strings.Split(save, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !ownedSet(f[1]) {
			continue
		}
		switch {
		case f[0] == "create":
			st.sets = append(st.sets, f[1])
		case f[0] == "add" && len(f) > 2:
			if pp, ok := nodePortMember(f[1], f[2]); ok {
				st.nodePorts.Insert(pp)
			}
		}
	}
	return st, nil
}

// nodePortMember reads a member of a KUBE-NODE-PORT-* set: a port in the
// TCP and UDP sets (bitmap:port), "ip,sctp:port" in the SCTP ones.
func nodePortMember(set, member string) (protoPort, bool) {
	if !strings.Contains(set, "NODE-PORT-") {
		return protoPort{}, false
	}
	proto := v1.ProtocolTCP
	switch {
	case strings.HasSuffix(set, "-UDP"):
		proto = v1.ProtocolUDP
	case strings.HasSuffix(set, "-SCTP-HASH"):
		proto = v1.ProtocolSCTP
		_, member, _ = strings.Cut(member, ":")
	}
	port, err := strconv.ParseUint(member, 10, 16)
	return protoPort{proto, uint16(port)}, err == nil
}

// ownedVirtualServer is the rule that tells kube-proxy's virtual servers
// from other programs': kube-proxy binds every ClusterIP, external IP and
// load-balancer IP it serves to kube-ipvs0, so a virtual server on one of
// kube-ipvs0's addresses is its; a NodePort's virtual servers are on the
// node's other addresses (never loopback), with a port kube-proxy
// recorded in its KUBE-NODE-PORT-* set of that protocol. Anything else
// (another address, another port, a fwmark service) stays.
func ownedVirtualServer(k ipvs.ServiceKey, dummy, local sets.Set[netip.Addr], nodePorts sets.Set[protoPort]) bool {
	if dummy.Has(k.Addr) {
		return true
	}
	return local.Has(k.Addr) && !k.Addr.IsLoopback() && nodePorts.Has(protoPort{k.Protocol, k.Port})
}

// cleanVirtualServers deletes kube-proxy's virtual servers (ipvs nil: the
// kernel has no IPVS) and then kube-ipvs0.
func cleanVirtualServers(w io.Writer, s Surfaces, st ipvsState) error {
	dummyAddrs, found, err := s.Links.LinkAddrs(dummyLink)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dummyLink, err)
	}
	if s.IPVS != nil {
		if err := deleteVirtualServers(w, s, sets.New(dummyAddrs...), st); err != nil {
			return err
		}
	}
	if !found {
		return nil
	}
	if err := s.Links.DeleteLink(dummyLink); err != nil {
		return fmt.Errorf("deleting %s: %w", dummyLink, err)
	}
	fmt.Fprintf(w, "Removed link %s.\n", dummyLink)
	return nil
}

func deleteVirtualServers(w io.Writer, s Surfaces, dummy sets.Set[netip.Addr], st ipvsState) error {
	localList, err := s.LocalAddrs.LocalAddrs()
	if err != nil {
		return err
	}
	vss, err := s.IPVS.VirtualServers()
	if err != nil {
		return fmt.Errorf("listing IPVS virtual servers: %w", err)
	}
	local := sets.New(localList...)
	var errs []error
	deleted := 0
	for _, vs := range vss {
		if !ownedVirtualServer(vs.ServiceKey, dummy, local, st.nodePorts) {
			continue
		}
		if err := s.IPVS.DeleteVirtualServer(vs.ServiceKey); err != nil {
			errs = append(errs, fmt.Errorf("deleting IPVS virtual server %s: %w", vs.ServiceKey, err))
			continue
		}
		deleted++
	}
	fmt.Fprintf(w, "Removed %d of kube-proxy's IPVS virtual servers, left %d of others.\n", deleted, len(vss)-deleted)
	return errors.Join(errs...)
}

// destroySets destroys kube-proxy's ipsets, once no rule uses them.
func destroySets(w io.Writer, set Ipsets, st ipvsState) error {
	var errs []error
	for _, name := range st.sets {
		if err := set.Destroy(name); err != nil {
			errs = append(errs, fmt.Errorf("ipset destroy %s: %w", name, err))
			continue
		}
		fmt.Fprintf(w, "Removed ipset %s.\n", name)
	}
	return errors.Join(errs...)
}
