package nftables

import (
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/proxymode"
)

// ModeName is this backend's --proxy-mode value.
const ModeName = "nftables"

// Mode is the nftables backend as a proxymode.Mode, for the agent's
// registry.
type Mode struct{}

var _ proxymode.Mode = Mode{}

// Name implements proxymode.Mode.
func (Mode) Name() string { return ModeName }

// Usable implements proxymode.Mode.
func (Mode) Usable(family v1.IPFamily) error { return Usable(family) }

// New implements proxymode.Mode.
func (Mode) New(opts proxymode.Options) (proxy.Backend, error) { return New(opts) }

// Cleanup implements proxymode.Mode: deletes nodenet's table.
func (Mode) Cleanup(family v1.IPFamily) error { return Cleanup(family) }

// DumpRules implements proxymode.Mode: `nft list table` format.
func (Mode) DumpRules(family v1.IPFamily) (string, error) { return SaveRules(family) }
