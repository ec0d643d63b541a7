package controller

import (
	"fmt"
	"sync/atomic"

	"github.com/nodenet/nodenet/netpol"
)

// Lazy returns an Enforcer that creates the real one with create at its
// first Sync, and again at the next Sync after a failed creation. A node
// whose firewall cannot start (ipset or iptables missing, a kernel module
// not loaded yet) thus keeps running the proxy, logs the error through the
// controller and retries, instead of failing agent startup.
func Lazy(create func() (netpol.Enforcer, error)) netpol.Enforcer {
	return &lazyEnforcer{create: create}
}

type lazyEnforcer struct {
	create func() (netpol.Enforcer, error)
	inner  netpol.Enforcer
	// created is inner for the set-check ticker's goroutine (SetsTampered).
	created atomic.Pointer[netpol.Enforcer]
}

// Sync is called from the controller's sync goroutine only.
func (l *lazyEnforcer) Sync(m *netpol.Model, full bool) error {
	if l.inner == nil {
		inner, err := l.create()
		if err != nil {
			return fmt.Errorf("starting the NetworkPolicy enforcer: %w", err)
		}
		l.inner, full = inner, true
		l.created.Store(&inner)
	}
	return l.inner.Sync(m, full)
}

// Intact forwards to the real enforcer; one not created yet has nothing to
// verify (its first Sync is full).
func (l *lazyEnforcer) Intact() (bool, error) {
	v, ok := l.inner.(verifier)
	if !ok {
		return true, nil
	}
	return v.Intact()
}

// Tampered forwards to the real enforcer; one not created yet has applied
// nothing.
func (l *lazyEnforcer) Tampered() (string, error) {
	c, ok := l.inner.(tamperChecker)
	if !ok {
		return "", nil
	}
	return c.Tampered()
}

// LegacyChanged forwards to the real enforcer, from the set-check ticker.
func (l *lazyEnforcer) LegacyChanged() string {
	inner := l.created.Load()
	if inner == nil {
		return ""
	}
	c, ok := (*inner).(legacyChecker)
	if !ok {
		return ""
	}
	return c.LegacyChanged()
}

// SetsTampered forwards to the real enforcer, like Tampered; it is also
// called from the set-check ticker.
func (l *lazyEnforcer) SetsTampered() (string, error) {
	inner := l.created.Load()
	if inner == nil {
		return "", nil
	}
	c, ok := (*inner).(setChecker)
	if !ok {
		return "", nil
	}
	return c.SetsTampered()
}
