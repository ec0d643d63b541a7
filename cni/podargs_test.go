package cni

import (
	"fmt"
	"net"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

func TestPodArgs(t *testing.T) {
	conf := func(extra string) string {
		return `{"cniVersion":"1.1.0","name":"n","ipam":{"type":"host-local","subnet":"10.1.0.0/24"}` + extra + `}`
	}
	for _, c := range []struct {
		name, conf, cniArgs string
		mac, ips            string
		code                uint
	}{
		{name: "nothing", conf: conf("")},
		{name: "CNI_ARGS", conf: conf(""), cniArgs: "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=0a:58:0a:01:00:07;IP=10.1.0.7",
			mac: "0a:58:0a:01:00:07", ips: "[10.1.0.7]"},
		// args.cni beats CNI_ARGS for the MAC; addresses add up.
		{name: "args.cni", conf: conf(`,"args":{"cni":{"mac":"0a:58:0a:01:00:08","ips":["fd00::8"]}}`), cniArgs: "MAC=0a:58:0a:01:00:07;IP=10.1.0.7",
			mac: "0a:58:0a:01:00:08", ips: "[10.1.0.7 fd00::8]"},
		// runtimeConfig (capabilities) beats both; ips come with a prefix length.
		{name: "runtimeConfig", conf: conf(`,"args":{"cni":{"mac":"0a:58:0a:01:00:08"}},"runtimeConfig":{"mac":"0a:58:0a:01:00:09","ips":["10.1.0.9/24"]}`),
			mac: "0a:58:0a:01:00:09", ips: "[10.1.0.9]"},
		{name: "unknown CNI_ARGS key", conf: conf(""), cniArgs: "K8S_POD_NAME=p", code: types.ErrInvalidEnvironmentVariables},
		{name: "CNI_ARGS not pairs", conf: conf(""), cniArgs: "garbage", code: types.ErrInvalidEnvironmentVariables},
		{name: "bad mac", conf: conf(`,"runtimeConfig":{"mac":"zz"}`), code: types.ErrInvalidNetworkConfig},
		{name: "bad ip", conf: conf(`,"runtimeConfig":{"ips":["ten"]}`), code: types.ErrInvalidNetworkConfig},
		// A delegated IPAM reads CNI_ARGS itself, in its own syntax (the
		// reference static IPAM's comma list); only the MAC is ours.
		{name: "delegated ipam", conf: `{"cniVersion":"1.1.0","name":"n","ipam":{"type":"static"}}`,
			cniArgs: "IgnoreUnknown=1;IP=10.1.0.5/24,fd00::5/64;MAC=0a:58:0a:01:00:05", mac: "0a:58:0a:01:00:05"},
	} {
		n, err := parseConfig([]byte(c.conf))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = n.applyPodArgs(c.cniArgs)
		if codeOf(err) != c.code {
			t.Errorf("%s: code %d (%v), want %d", c.name, codeOf(err), err, c.code)
			continue
		}
		if err != nil {
			continue
		}
		if mac := n.mac.String(); mac != c.mac {
			t.Errorf("%s: mac %q, want %q", c.name, mac, c.mac)
		}
		if ips := fmt.Sprint(n.requestedIPs); (len(n.requestedIPs) > 0 || c.ips != "") && ips != c.ips {
			t.Errorf("%s: requested %s, want %s", c.name, ips, c.ips)
		}
	}
}

func TestIPRangesCapabilityGoesFirst(t *testing.T) {
	n, err := parseConfig([]byte(`{"cniVersion":"1.1.0","name":"n","runtimeConfig":{"ipRanges":[[{"subnet":"10.2.0.0/24"}]]},
		"ipam":{"type":"host-local","ranges":[[{"subnet":"fd00::/64"}]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := n.hostLocal.Ranges
	if len(r) != 2 || (*net.IPNet)(&r[0][0].Subnet).String() != "10.2.0.0/24" || (*net.IPNet)(&r[1][0].Subnet).String() != "fd00::/64" {
		t.Fatalf("ranges %v: want the runtime's 10.2.0.0/24 first, then fd00::/64", r)
	}
}

func TestIPRangesGoBeforeTheSubnetForm(t *testing.T) {
	n, err := parseConfig([]byte(`{"cniVersion":"1.1.0","name":"n","runtimeConfig":{"ipRanges":[[{"subnet":"10.2.0.0/24"}]]},
		"ipam":{"type":"host-local","subnet":"10.3.0.0/24","ranges":[[{"subnet":"fd00::/64"}]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, set := range n.hostLocal.Ranges {
		got = append(got, (*net.IPNet)(&set[0].Subnet).String())
	}
	// As the reference: the legacy subnet folds into ranges first, then the
	// runtime's ranges go in front of all of them.
	if fmt.Sprint(got) != "[10.2.0.0/24 10.3.0.0/24 fd00::/64]" {
		t.Fatalf("range order %v", got)
	}
}
