//go:build vmguest

package ipvs_test

import (
	"testing"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/ipvs/ipvstest"
	"github.com/nodenet/nodenet/test/netns"
)

// The contracts against the real kernel: these run inside the test VM
// (make e2e-ipvs), each in a fresh network namespace.

func TestKernelContract(t *testing.T) {
	ns := netns.New(t, netns.UniquePrefix("i")+"-k")
	k, err := ipvs.NewKernel("/run/netns/" + ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	ipvstest.KernelContract(t, k)
}

func TestAddrsContract(t *testing.T) {
	ns := netns.New(t, netns.UniquePrefix("i")+"-a")
	a, err := ipvs.NewAddrs("/run/netns/" + ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	ipvstest.AddrsContract(t, a)
}
