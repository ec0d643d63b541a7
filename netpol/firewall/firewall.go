package firewall

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/netpol"
)

// Firewall enforces NetworkPolicy Models; it implements netpol.Enforcer.
// It is not safe for concurrent use: one controller calls Sync.
type Firewall struct {
	opts    Options
	kernels Kernels
	// applied is what the last successful Sync left in the kernel; nil
	// when unknown (never synced, or the last Sync failed), which makes
	// the next Sync full.
	applied *desired
	// appliedSizes is each applied set's member count, for SetsTampered,
	// which the controller also calls beside Sync.
	appliedSizes atomic.Pointer[map[string]int]
	// legacy is what each iptables-legacy family's filter table was when
	// it last held the applied rules (LegacyChanged; legacywatch.go).
	legacy       legacySeen
	warnedSysctl bool
	portsErr     string // the last failure reading the pods' ports, logged once
}

var _ netpol.Enforcer = (*Firewall)(nil)

// New returns a firewall for the current network namespace (RealKernels).
func New(opts Options) (*Firewall, error) {
	k, err := RealKernels()
	if err != nil {
		return nil, fmt.Errorf("NetworkPolicy firewall: %w", err)
	}
	return NewWithKernels(opts, k)
}

// NewWithKernels returns a firewall programming k (fakes in tests).
func NewWithKernels(opts Options, k Kernels) (*Firewall, error) {
	if k.Sets == nil || k.IPv4 == nil && k.IPv6 == nil {
		return nil, fmt.Errorf("NetworkPolicy firewall needs a set kernel and at least one iptables family")
	}
	return &Firewall{opts: opts, kernels: k, legacy: newLegacySeen(k.LegacyFilter)}, nil
}

// Sync implements netpol.Enforcer. A partial sync writes only the chains
// whose rules changed (one iptables-restore per family that has any, none
// otherwise) and only the set members that changed; a remote pod or a
// label change is usually set members only. A full sync (asked for, or
// after a failure) also reads the kernel: it rewrites every chain, puts
// the FORWARD hook first, reconciles every set and removes leftovers.
func (f *Firewall) Sync(m *netpol.Model, full bool) error {
	full = full || f.applied == nil
	start := time.Now()
	want := render(m, f.opts, f.familyFlags(), f.ports())
	if f.kernels.Guard != nil {
		addGuard(want, m, f.familyFlags())
	}
	st, err := f.apply(want, full)
	if err != nil {
		f.applied = nil
		f.publishSets(nil)
		f.rememberLegacy(nil)
		return fmt.Errorf("NetworkPolicy firewall sync (full %t): %w", full, err)
	}
	f.applied = want
	f.publishSets(want)
	f.rememberLegacy(f.readLegacy())
	klog.V(4).InfoS("Synced NetworkPolicy firewall", "full", full, "chainsWritten", st.chains,
		"restores", st.restores, "setOps", st.setOps, "took", time.Since(start))
	return nil
}

// ports reads the pods' bridge ports. Without them broadcast and
// multicast to an isolated pod cannot be told apart from those to any
// other, so a failed read is logged and they stay unfiltered (the
// firewall's unicast rules do not depend on it).
func (f *Firewall) ports() map[netip.Addr]string {
	if f.kernels.Ports == nil {
		return nil
	}
	ports, err := f.kernels.Ports()
	switch {
	case err != nil && err.Error() != f.portsErr:
		klog.ErrorS(err, "Cannot read the pods' bridge ports; broadcast and multicast to isolated pods are not filtered until they can be read")
		f.portsErr = err.Error()
	case err == nil && f.portsErr != "":
		klog.InfoS("The pods' bridge ports can be read again")
		f.portsErr = ""
	}
	return ports
}

func (f *Firewall) familyFlags() []bool {
	var out []bool
	for _, fam := range f.kernels.families() {
		out = append(out, fam.ipv6)
	}
	return out
}
