package cni

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
)

func codeOf(err error) uint {
	var e *types.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

const baseConf = `{"cniVersion":%q,"name":"net1","type":"nodenet","bridge":"br9","isDefaultGateway":true,
 "ipMasq":true,"mtu":1400,"hairpinMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.9.0.0/24"}],[{"subnet":"fd00:9::/64"}]],
 "routes":[{"dst":"10.10.0.0/16"}],"dataDir":"/tmp/x"}}`

func TestParseConfigAllVersions(t *testing.T) {
	for _, v := range SupportedVersions {
		n, err := parseConfig([]byte(fmt.Sprintf(baseConf, v)))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if !n.IsGW || n.BridgeName != "br9" || n.MTU != 1400 || !n.IPMasq || !n.HairpinMode {
			t.Errorf("%s: fields not decoded: %+v", v, n)
		}
		if n.hostLocal == nil || len(n.hostLocal.Ranges) != 2 || n.hostLocal.DataDir != "/tmp/x" {
			t.Errorf("%s: ipam not parsed: %+v", v, n.hostLocal)
		}
	}
}

func TestParseConfigDefaultsAndDelegate(t *testing.T) {
	n, err := parseConfig([]byte(`{"cniVersion":"1.0.0","name":"n","type":"nodenet","ipam":{"type":"dhcp"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if n.BridgeName != DefaultBridge || n.hostLocal != nil || n.IsGW {
		t.Errorf("defaults: %+v", n)
	}
	if _, ok := n.ipam().(*delegateIPAM); !ok {
		t.Error("non host-local ipam is not delegated")
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := map[string]struct {
		conf string
		code uint
	}{
		"truncated":       {`{"cniVersion":"1.0.0","name":`, types.ErrDecodingFailure},
		"not an object":   {`[1,2]`, types.ErrDecodingFailure},
		"mtu wrong type":  {`{"name":"n","mtu":"big","ipam":{"type":"x"}}`, types.ErrDecodingFailure},
		"ipam wrong type": {`{"name":"n","ipam":{"type":"host-local","ranges":"x"}}`, types.ErrDecodingFailure},
		"no name":         {`{"ipam":{"type":"x"}}`, types.ErrInvalidNetworkConfig},
		"name escapes":    {`{"name":"../etc","ipam":{"type":"x"}}`, types.ErrInvalidNetworkConfig},
		"bad subnet":      {`{"name":"n","ipam":{"type":"host-local","subnet":"10.0.0.1/24"}}`, types.ErrInvalidNetworkConfig},
		"bad mtu":         {`{"name":"n","mtu":10,"ipam":{"type":"x"}}`, types.ErrInvalidNetworkConfig},
		"bad bridge":      {`{"name":"n","bridge":"a/b","ipam":{"type":"x"}}`, types.ErrInvalidNetworkConfig},
		"bad ipRanges":    {`{"name":"n","runtimeConfig":{"ipRanges":[[{"subnet":"10.0.0.0/33"}]]},"ipam":{"type":"host-local","subnet":"10.1.0.0/24"}}`, types.ErrDecodingFailure},
		"vlanTrunk":       {`{"name":"n","vlanTrunk":[{"id":3}],"ipam":{"type":"x"}}`, types.ErrUnsupportedField},
		"macspoofchk":     {`{"name":"n","macspoofchk":true,"ipam":{"type":"x"}}`, types.ErrUnsupportedField},
		"bad nonMasq":     {`{"name":"n","nonMasqueradeCIDRs":["10.0.0.0/33"],"ipam":{"type":"x"}}`, types.ErrInvalidNetworkConfig},
		"nft backend":     {`{"name":"n","ipMasqBackend":"nftables","ipam":{"type":"x"}}`, types.ErrUnsupportedField},
		"vlan+gateway":    {`{"name":"n","vlan":5,"isGateway":true,"ipam":{"type":"x"}}`, types.ErrUnsupportedField},
		"bad prevResult":  {`{"cniVersion":"1.0.0","name":"n","ipam":{"type":"x"},"prevResult":{"ips":"no"}}`, types.ErrDecodingFailure},
	}
	for name, c := range cases {
		_, err := parseConfig([]byte(c.conf))
		if got := codeOf(err); got != c.code {
			t.Errorf("%s: code %d (%v), want %d", name, got, err, c.code)
		}
	}
}

func TestAsCNIKeepsCode(t *testing.T) {
	wrapped := fmt.Errorf("outer: %w", types.NewError(types.ErrPluginNotAvailable, "inner", "d"))
	e := asCNI(wrapped).(*types.Error)
	if e.Code != types.ErrPluginNotAvailable || !strings.Contains(e.Msg, "outer") {
		t.Errorf("got %+v", e)
	}
	if codeOf(asCNI(errors.New("x"))) != types.ErrInternal {
		t.Error("plain error is not 999")
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(baseConf, "1.1.0")))
	f.Add([]byte(`{"name":"n","ipam":{"type":"host-local","subnet":"10.0.0.0/8","rangeStart":"10.0.0.5"}}`))
	f.Add([]byte(`{"name":"n","ipam":{"type":"host-local","ranges":[[{"subnet":"fd00::/120","gateway":"fd00::5"}]]},"prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}}`))
	f.Add([]byte(`{"cniVersion":"0.3.1","name":"n","ipam":{"type":"host-local","subnet":"10.0.0.0/`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseConfig(data)
		if err != nil {
			if codeOf(err) == 0 {
				t.Fatalf("error without a CNI code: %v", err)
			}
			return
		}
		// Anything accepted must be usable without panicking.
		if n.hostLocal != nil {
			for _, set := range n.hostLocal.Ranges {
				_ = set.String()
			}
		}
	})
}

func TestWithUndoRunsCleanupsOnPanic(t *testing.T) {
	var undone []string
	err := withUndo(func(u *undoStack) error {
		u.push(func() { undone = append(undone, "address") })
		u.push(func() { undone = append(undone, "veth") })
		panic("half way")
	})
	if codeOf(err) != types.ErrInternal || !strings.Contains(err.Error(), "half way") {
		t.Fatalf("want code 999 naming the panic, got %v", err)
	}
	if strings.Join(undone, ",") != "veth,address" {
		t.Fatalf("cleanups after a panic: %v, want veth,address", undone)
	}
	undone = nil
	if err := withUndo(func(u *undoStack) error {
		u.push(func() { undone = append(undone, "x") })
		return nil
	}); err != nil || undone != nil {
		t.Fatalf("success ran cleanups %v (err %v)", undone, err)
	}
}

// The spec makes prevResult mandatory for CHECK: without it there is
// nothing to compare, and the answer is an invalid-config error, before any
// kernel state is read.
func TestCheckRequiresPrevResult(t *testing.T) {
	err := cmdCheck(&skel.CmdArgs{ContainerID: "c1", IfName: "eth0", Netns: "/nonexistent", StdinData: []byte(fmt.Sprintf(baseConf, "1.1.0"))})
	if codeOf(err) != types.ErrInvalidNetworkConfig || !strings.Contains(err.Error(), "prevResult") {
		t.Fatalf("CHECK without prevResult: want code 7 naming prevResult, got %v", err)
	}
}

func TestLayer2Network(t *testing.T) {
	for _, conf := range []string{`{"cniVersion":"1.1.0","name":"l2"}`, `{"cniVersion":"1.1.0","name":"l2","ipam":{}}`,
		`{"cniVersion":"1.1.0","name":"l2","disableContainerInterface":true}`} {
		n, err := parseConfig([]byte(conf))
		if err != nil {
			t.Fatalf("%s: %v", conf, err)
		}
		if n.layer3() {
			t.Errorf("%s: taken for a layer-3 network", conf)
		}
		if _, ok := n.ipam().(noIPAM); !ok {
			t.Errorf("%s: ipam driver %T, want none", conf, n.ipam())
		}
	}
}

// Some configs are refused for ADD only: pods an earlier release set up
// with them must still be deleted, checked and garbage-collected.
func TestAddOnlyRefusals(t *testing.T) {
	for name, conf := range map[string]string{
		"hairpin+promisc": `{"cniVersion":"1.1.0","name":"n","hairpinMode":true,"promiscMode":true,"ipam":{"type":"x"}}`,
		"down with ipam":  `{"cniVersion":"1.1.0","name":"n","disableContainerInterface":true,"ipam":{"type":"x"}}`,
	} {
		n, err := parseConfig([]byte(conf))
		if err != nil {
			t.Errorf("%s: DEL, CHECK and GC could not parse it: %v", name, err)
			continue
		}
		if err := n.validateForAdd(); codeOf(err) != types.ErrInvalidNetworkConfig {
			t.Errorf("%s: ADD: want code 7, got %v", name, err)
		}
	}
}

func TestFillGatewaysCarries(t *testing.T) {
	ips := []*current.IPConfig{
		{Address: net.IPNet{IP: net.ParseIP("10.0.0.255").To4(), Mask: net.CIDRMask(32, 32)}},
		{Address: net.IPNet{IP: net.ParseIP("10.1.2.7").To4(), Mask: net.CIDRMask(24, 32)}, Gateway: net.ParseIP("10.1.2.254")},
		{Address: net.IPNet{IP: net.ParseIP("fd00::7"), Mask: net.CIDRMask(64, 128)}},
	}
	fillGateways(ips)
	if got := fmt.Sprint(ips[0].Gateway, " ", ips[1].Gateway, " ", ips[2].Gateway); got != "10.0.1.0 10.1.2.254 fd00::1" {
		t.Errorf("gateways %s: want the subnet's first address (carried), an IPAM gateway kept", got)
	}
}
