// Package hostlocal is nodenet's built-in implementation of the reference
// "host-local" IPAM plugin: address ranges from the network config,
// allocations recorded as one file per address under dataDir/<network>/,
// serialised across processes by flock on that directory. The on-disk layout
// is the reference plugin's, so a node can switch between the two without
// losing track of addresses already handed out.
package hostlocal

import (
	"encoding/json"
	"fmt"
	"net"

	"github.com/containernetworking/cni/pkg/types"
)

// DefaultDataDir is where the reference host-local keeps allocations.
const DefaultDataDir = "/var/lib/cni/networks"

// Config is the "ipam" object of a network config whose type is host-local.
type Config struct {
	Type    string         `json:"type"`
	Routes  []*types.Route `json:"routes,omitempty"`
	DataDir string         `json:"dataDir,omitempty"`
	Ranges  []RangeSet     `json:"ranges,omitempty"`
	// ResolvConf is a resolv.conf whose settings become the result's DNS.
	ResolvConf string `json:"resolvConf,omitempty"`

	// Legacy single-range form; folded into Ranges by Parse.
	Subnet     *types.IPNet `json:"subnet,omitempty"`
	RangeStart net.IP       `json:"rangeStart,omitempty"`
	RangeEnd   net.IP       `json:"rangeEnd,omitempty"`
	Gateway    net.IP       `json:"gateway,omitempty"`
}

// RangeSet is a group of ranges of one family; one address is allocated from
// each set per attachment (two sets give dual stack).
type RangeSet []Range

// Range is a contiguous pool inside one subnet.
type Range struct {
	Subnet     types.IPNet `json:"subnet"`
	RangeStart net.IP      `json:"rangeStart,omitempty"`
	RangeEnd   net.IP      `json:"rangeEnd,omitempty"`
	Gateway    net.IP      `json:"gateway,omitempty"`
}

// Parse decodes and validates the "ipam" object. runtimeRanges (the
// ipRanges capability, from runtimeConfig) go before the configured ones,
// as in the reference plugin. Errors are plain; the caller maps them to
// CNI error codes (decode vs. invalid config).
func Parse(raw []byte, runtimeRanges ...RangeSet) (*Config, error) {
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, &DecodeError{Err: err}
	}
	c.foldSubnet()
	c.Ranges = append(runtimeRanges, c.Ranges...)
	if err := c.normalize(); err != nil {
		return nil, err
	}
	return &c, nil
}

// DecodeError marks JSON that could not be decoded at all, as opposed to
// JSON that decodes to an invalid configuration.
type DecodeError struct{ Err error }

func (e *DecodeError) Error() string { return "decoding ipam config: " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// foldSubnet turns the legacy single-range keys into the first range set.
func (c *Config) foldSubnet() {
	if c.Subnet != nil {
		legacy := Range{Subnet: *c.Subnet, RangeStart: c.RangeStart, RangeEnd: c.RangeEnd, Gateway: c.Gateway}
		c.Ranges = append([]RangeSet{{legacy}}, c.Ranges...)
	}
}

// normalize validates and fills defaults. No ranges at all is not an
// error here: the ipRanges capability may bring them, and libcni sends
// runtimeConfig only with ADD, CHECK and DEL, so GC and STATUS of such a
// network see none; DEL and GC work by owner, and Allocate refuses.
func (c *Config) normalize() error {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	for i := range c.Ranges {
		if err := c.Ranges[i].canonicalize(); err != nil {
			return fmt.Errorf("ipam: range set %d: %w", i, err)
		}
		for j := 0; j < i; j++ {
			if c.Ranges[i].overlaps(c.Ranges[j]) {
				return fmt.Errorf("ipam: range sets %d and %d overlap", j, i)
			}
		}
	}
	for i, r := range c.Routes {
		if r == nil || r.Dst.IP == nil {
			return fmt.Errorf("ipam: route %d has no dst", i)
		}
	}
	return nil
}
