package app

import (
	"fmt"
	"strings"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/nftables"
	"github.com/nodenet/nodenet/proxymode"
)

// proxyModes are the backends --proxy-mode (and mode: in the config file)
// choose from, one line per backend. The first is the default, as
// iptables is kube-proxy's on Linux.
var proxyModes = []proxymode.Mode{
	iptables.Mode{},
	nftables.Mode{},
	ipvs.Mode{Flags: ipvsFlags},
}

// ipvsFlags are the --ipvs-* options (agentOptions.addFlags registers them).
var ipvsFlags = &ipvs.Flags{}

// lookupMode finds a mode by name; "" is the default, as kube-proxy treats
// an empty mode as the platform's default.
func lookupMode(name string) (proxymode.Mode, error) {
	if name == "" {
		return proxyModes[0], nil
	}
	for _, m := range proxyModes {
		if m.Name() == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("unknown mode %q (known: %s)", name, modeNames())
}

// modeNames lists the registered modes for messages and help.
func modeNames() string {
	names := make([]string, len(proxyModes))
	for i, m := range proxyModes {
		names[i] = m.Name()
	}
	return strings.Join(names, ", ")
}

// checkProxyMode checks the mode given by name (a flag or a file field).
func checkProxyMode(name, mode string) error {
	if _, err := lookupMode(mode); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// modeName is the name of the agent's mode; a config without one (tests
// build agentConfig by hand) runs the default, as --proxy-mode "" does.
func (c *agentConfig) modeName() string {
	if c.Mode == nil {
		return proxyModes[0].Name()
	}
	return c.Mode.Name()
}
