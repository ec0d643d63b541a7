package cni

import (
	"net"

	"github.com/containernetworking/cni/pkg/types"
)

// envArgs are the keys of CNI_ARGS the reference bridge (MAC) and
// host-local (IP) read; IgnoreUnknown=1, which runtimes send, lets the
// Kubernetes keys (K8S_POD_NAME, ...) through.
type envArgs struct {
	types.CommonArgs
	MAC types.UnmarshallableString
	IP  types.UnmarshallableString
}

// applyPodArgs resolves what the runtime asks of this attachment from the
// three places the reference plugins read, lowest precedence first:
// CNI_ARGS (MAC=, IP=), the config's args.cni (mac, ips), runtimeConfig
// (the mac and ips capabilities). The MAC from the highest place wins;
// addresses add up, and are read only for the built-in host-local: a
// delegated IPAM reads them itself, in its own syntax (the reference
// static IPAM takes IP=10.1.0.5/24,fd00::5/64). Only ADD calls it: DEL and
// CHECK must work whatever CNI_ARGS holds.
func (n *NetConf) applyPodArgs(cniArgs string) error {
	var env envArgs
	if err := types.LoadArgs(cniArgs, &env); err != nil {
		return types.NewError(types.ErrInvalidEnvironmentVariables, "CNI_ARGS: "+err.Error(), cniArgs)
	}
	mac := firstSet(n.RuntimeConfig.Mac, n.Args.CNI.Mac, string(env.MAC))
	if mac != "" {
		hw, err := net.ParseMAC(mac)
		if err != nil {
			return errConfig("mac %q: %v", mac, err)
		}
		n.mac = hw
	}
	if n.hostLocal == nil {
		return nil
	}
	var ips []string
	if env.IP != "" {
		ips = append(ips, string(env.IP))
	}
	ips = append(append(ips, n.Args.CNI.IPs...), n.RuntimeConfig.IPs...)
	for _, s := range ips {
		ip := parseRequestedIP(s)
		if ip == nil {
			return errConfig("requested IP %q is not an address", s)
		}
		n.requestedIPs = append(n.requestedIPs, ip)
	}
	return nil
}

// parseRequestedIP takes an address with or without a prefix length: the
// ips capability sends "10.1.2.3/24", args.cni.ips "10.1.2.3".
func parseRequestedIP(s string) net.IP {
	if ip, _, err := net.ParseCIDR(s); err == nil {
		return ip
	}
	return net.ParseIP(s)
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
