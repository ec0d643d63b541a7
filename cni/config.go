package cni

import (
	"encoding/json"
	"errors"
	"net"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/nodenet/nodenet/cni/hostlocal"
)

// DefaultBridge is the reference bridge plugin's default bridge name.
const DefaultBridge = "cni0"

// hostLocalType is the ipam.type served in-process instead of exec'ing a
// binary from CNI_PATH.
const hostLocalType = "host-local"

// NetConf is the reference bridge plugin's configuration, key for key.
type NetConf struct {
	types.NetConf
	BridgeName          string `json:"bridge"`
	IsGW                bool   `json:"isGateway"`
	IsDefaultGW         bool   `json:"isDefaultGateway"`
	ForceAddress        bool   `json:"forceAddress"`
	IPMasq              bool   `json:"ipMasq"`
	IPMasqBackend       string `json:"ipMasqBackend,omitempty"`
	MTU                 int    `json:"mtu"`
	HairpinMode         bool   `json:"hairpinMode"`
	PromiscMode         bool   `json:"promiscMode"`
	Vlan                int    `json:"vlan"`
	PreserveDefaultVlan *bool  `json:"preserveDefaultVlan,omitempty"`
	PortIsolation       bool   `json:"portIsolation"`
	// Accepted and ignored: nodenet never runs DAD (see README).
	EnableDad bool `json:"enabledad"`
	// The pod interface is left down (layer 2 only: whoever uses the pod
	// end, e.g. a VM, brings it up).
	DisableContainerInterface bool `json:"disableContainerInterface"`

	// NonMasqueradeCIDRs are destinations reached without masquerade
	// besides the pod's own subnet, as ip-masq-agent's option of that
	// name: the cluster's pod network, so that pods on other nodes see
	// the real source (NetworkPolicy peers) when nodes route pod CIDRs
	// to each other. Not in the reference plugin.
	NonMasqueradeCIDRs []string `json:"nonMasqueradeCIDRs,omitempty"`

	// Rejected when set (see README for why).
	VlanTrunk   json.RawMessage `json:"vlanTrunk,omitempty"`
	MacSpoofChk bool            `json:"macspoofchk"`

	// Per-attachment requests (podargs.go): the capabilities mac, ips and
	// ipRanges, and the same under args.cni.
	RuntimeConfig struct {
		Mac      string               `json:"mac,omitempty"`
		IPs      []string             `json:"ips,omitempty"`
		IPRanges []hostlocal.RangeSet `json:"ipRanges,omitempty"`
	} `json:"runtimeConfig,omitempty"`
	Args struct {
		CNI struct {
			Mac string   `json:"mac,omitempty"`
			IPs []string `json:"ips,omitempty"`
		} `json:"cni"`
	} `json:"args"`

	// hostLocal is the parsed ipam object when ipam.type is host-local.
	hostLocal *hostlocal.Config
	// mac and requestedIPs are what the runtime asked of this attachment.
	mac          net.HardwareAddr
	requestedIPs []net.IP
}

// parseConfig decodes stdin. Malformed JSON is ErrDecodingFailure (6);
// well-formed but unusable config is ErrInvalidNetworkConfig (7) or
// ErrUnsupportedField (2). It never panics on any input (see FuzzParseConfig).
func parseConfig(stdin []byte) (*NetConf, error) {
	n := &NetConf{}
	if err := json.Unmarshal(stdin, n); err != nil {
		return nil, errDecode("decoding network config: %v", err)
	}
	if err := validateNetworkName(n.Name); err != nil {
		return nil, err
	}
	if err := version.ParsePrevResult(&n.NetConf); err != nil {
		return nil, errDecode("decoding prevResult: %v", err)
	}
	if err := n.applyDefaults(); err != nil {
		return nil, err
	}
	if err := n.validate(); err != nil {
		return nil, err
	}
	if n.IPAM.Type == hostLocalType {
		if err := n.parseHostLocal(stdin); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *NetConf) applyDefaults() error {
	if n.BridgeName == "" {
		n.BridgeName = DefaultBridge
	}
	if n.IsDefaultGW {
		n.IsGW = true // reference semantics: default gateway implies gateway
	}
	if n.PreserveDefaultVlan == nil {
		t := true
		n.PreserveDefaultVlan = &t
	}
	return nil
}

func (n *NetConf) validate() error {
	if e := validateIfName(n.BridgeName); e != nil {
		return errConfig("bridge name %q: %s", n.BridgeName, e.Msg)
	}
	if n.MTU != 0 && (n.MTU < 68 || n.MTU > 65535) {
		return errConfig("mtu %d out of range 68-65535", n.MTU)
	}
	if n.Vlan < 0 || n.Vlan > 4094 {
		return errConfig("vlan %d out of range 0-4094", n.Vlan)
	}
	if n.Vlan != 0 && n.IsGW {
		return errUnsupported("vlan", n.Vlan, "vlan together with isGateway needs a bridge vlan sub-interface, which nodenet does not create")
	}
	if len(n.VlanTrunk) > 0 && string(n.VlanTrunk) != "null" {
		return errUnsupported("vlanTrunk", string(n.VlanTrunk), "trunk ports are not supported")
	}
	if n.MacSpoofChk {
		return errUnsupported("macspoofchk", true, "needs nftables rules nodenet does not manage")
	}
	if n.IPMasqBackend != "" && n.IPMasqBackend != "iptables" {
		return errUnsupported("ipMasqBackend", n.IPMasqBackend, "only iptables is supported")
	}
	if _, err := n.nonMasqueradeNets(); err != nil {
		return err
	}
	return nil
}

// nonMasqueradeNets parses NonMasqueradeCIDRs.
func (n *NetConf) nonMasqueradeNets() ([]net.IPNet, error) {
	nets := make([]net.IPNet, 0, len(n.NonMasqueradeCIDRs))
	for _, c := range n.NonMasqueradeCIDRs {
		_, ipn, err := net.ParseCIDR(c)
		if err != nil {
			return nil, errConfig("nonMasqueradeCIDRs: %q is not a CIDR", c)
		}
		nets = append(nets, *ipn)
	}
	return nets, nil
}

func (n *NetConf) parseHostLocal(stdin []byte) error {
	var raw struct {
		IPAM json.RawMessage `json:"ipam"`
	}
	if err := json.Unmarshal(stdin, &raw); err != nil {
		return errDecode("decoding ipam: %v", err)
	}
	cfg, err := hostlocal.Parse(raw.IPAM, n.RuntimeConfig.IPRanges...)
	var de *hostlocal.DecodeError
	if errors.As(err, &de) {
		return errDecode("%v", err)
	}
	if err != nil {
		return errConfig("%v", err)
	}
	n.hostLocal = cfg
	return nil
}

// validateForAdd refuses what only an ADD cannot do. DEL, CHECK and GC
// must still tear down and inspect pods a config like this set up before
// (earlier releases accepted it), as the reference bridge checks these in
// its ADD only.
func (n *NetConf) validateForAdd() error {
	if n.DisableContainerInterface && n.layer3() {
		return errConfig("disableContainerInterface needs a layer-2 network (no ipam): an interface left down cannot use its addresses")
	}
	if n.HairpinMode && n.PromiscMode {
		// As the reference: with both, the bridge hands a pod its own
		// frames twice.
		return errConfig("hairpinMode and promiscMode cannot both be set")
	}
	return nil
}

// masquerades tells whether ipMasq applies: a layer-2 network has no
// addresses to masquerade, and the reference ignores ipMasq there.
func (n *NetConf) masquerades() bool { return n.IPMasq && n.layer3() }

// layer3 tells a network with addresses from an "ipam" object from a
// layer-2 one (no ipam.type: pods get a port on the bridge and nothing
// else), as the reference bridge does.
func (n *NetConf) layer3() bool { return n.IPAM.Type != "" }
