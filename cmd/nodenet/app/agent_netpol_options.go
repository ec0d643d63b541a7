package app

import (
	"fmt"
	"math"

	"github.com/spf13/pflag"
)

// defaultNetpolLogGroup is the NFLOG group of logged drops (the
// firewall's default, and what `tcpdump -i nflog:100` listens to).
const defaultNetpolLogGroup = 100

// netpolConfig is the NetworkPolicy firewall's part of agentConfig.
type netpolConfig struct {
	// Enabled: enforce NetworkPolicies. Off, the agent neither watches
	// Pods, Namespaces and NetworkPolicies nor touches the firewall.
	Enabled  bool
	LogDrops bool
	LogGroup uint16
}

func (o *agentOptions) addNetpolFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Netpol, "netpol", o.Netpol, "Enforce NetworkPolicies on this node's pods (watches Pods, Namespaces and NetworkPolicies). false: no firewall and no such watches.")
	fs.BoolVar(&o.NetpolLogDrops, "netpol-log-drops", o.NetpolLogDrops, "Log connections NetworkPolicies deny to NFLOG group --netpol-log-group (rate limited), e.g. for tcpdump -i nflog:100.")
	fs.Int32Var(&o.NetpolLogGroup, "netpol-log-group", o.NetpolLogGroup, "The NFLOG group of --netpol-log-drops, within [1, 65535].")
}

func (o *agentOptions) netpolConfig() (netpolConfig, error) {
	if o.NetpolLogGroup < 1 || o.NetpolLogGroup > math.MaxUint16 {
		return netpolConfig{}, fmt.Errorf("--netpol-log-group: %d is outside [1, 65535]", o.NetpolLogGroup)
	}
	return netpolConfig{Enabled: o.Netpol, LogDrops: o.NetpolLogDrops, LogGroup: uint16(o.NetpolLogGroup)}, nil
}
