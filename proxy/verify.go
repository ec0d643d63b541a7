package proxy

import (
	"time"

	"k8s.io/klog/v2"
)

// Verifier is implemented by backends that can check cheaply that what
// they programmed is still in the kernel (the iptables backend lists the
// built-in chains for its hooks). Someone flushing them (a firewalld
// reload, `iptables -t nat -F`) would otherwise leave Services down until
// the hourly full sync; kube-proxy notices within its sync period.
type Verifier interface {
	// Intact is false when a full sync is needed to repair the kernel.
	Intact() (bool, error)
}

// Intact implements Verifier for the families that can verify.
func (f *FamilyBackends) Intact() (bool, error) {
	for _, fb := range f.families {
		if v, ok := fb.Backend.(Verifier); ok {
			if intact, err := v.Intact(); err != nil || !intact {
				return intact, err
			}
		}
	}
	return true, nil
}

// needsRepair runs on syncs with nothing to do, at most once per sync
// period, and tells whether the backend lost what it programmed.
func (p *Proxier) needsRepair(now time.Time) bool {
	v, ok := p.backend.(Verifier)
	if !ok || now.Sub(p.lastVerified) < p.cfg.SyncPeriod {
		return false
	}
	p.lastVerified = now
	intact, err := v.Intact()
	if err != nil {
		klog.ErrorS(err, "Cannot check that nodenet's rules are still hooked; will check again")
		return false
	}
	if !intact {
		klog.InfoS("nodenet's rules are no longer hooked into the kernel's chains (flushed by someone else?); repairing with a full sync")
	}
	return !intact
}
