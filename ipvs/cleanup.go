package ipvs

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/nodeport"
)

// CleanupKernel removes what nodenet's IPVS mode made for family: the
// virtual servers on addresses of DummyName and those on node addresses
// in the NodePort range, the family's addresses on DummyName (and
// DummyName once it holds none), and the rules and sets. Other programs'
// virtual servers stay; with nothing of ours it changes nothing.
func CleanupKernel(family v1.IPFamily, k Kernel, addrs Addrs, rules Rules, local nodeport.AddrLister) error {
	is4 := family != v1.IPv6Protocol
	boundList, err := addrs.Bound()
	if err != nil {
		return err
	}
	localList, err := local.LocalAddrs()
	if err != nil {
		return err
	}
	bound, nodeAddrs := sets.New(boundList...), sets.New(localList...)
	vss, err := k.VirtualServers()
	if err != nil {
		return err
	}
	b := &Backend{c: (&Config{Family: family}).withDefaults()}
	for _, vs := range vss {
		if b.ours(vs.ServiceKey, bound, nodeAddrs) {
			if err := k.DeleteVirtualServer(vs.ServiceKey); err != nil {
				return err
			}
		}
	}
	left := 0
	for _, a := range boundList {
		if a.Is4() != is4 {
			left++
			continue
		}
		if err := addrs.Unbind(a); err != nil {
			return err
		}
	}
	if left == 0 {
		if err := addrs.DeleteDummy(); err != nil {
			return err
		}
	}
	return rules.Cleanup()
}
