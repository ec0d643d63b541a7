package proxy

import (
	"time"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// Backend renders the desired table into the kernel. It is the only layer
// that touches the kernel; everything above it is pure.
type Backend interface {
	// Sync programs table. changed names the service ports whose desired
	// state changed since the last successful Sync; full asks the backend
	// to rewrite everything it owns (first sync, after a failure, periodic).
	Sync(table *Table, changed sets.Set[ServicePortName], full bool) error
}

// Config holds what the proxier core needs from the command line.
type Config struct {
	// NodeName is the agent's own node (--hostname-override or hostname).
	NodeName string
	// MinSyncPeriod is the pause after each sync before the next may
	// start (--iptables-min-sync-period); with AdaptivePacing, the most
	// it may be.
	MinSyncPeriod time.Duration
	// AdaptivePacing: the pause after a sync is a multiple of what that
	// sync cost, at most MinSyncPeriod (runner.Adaptive), so cheap syncs
	// follow changes closely. The agent sets it when the min sync period
	// was not given; a given one is honoured as kube-proxy does.
	AdaptivePacing bool
	// SyncPeriod is the longest time between two syncs (--iptables-sync-period).
	SyncPeriod time.Duration
	// Conntrack, when set, gets the stale UDP/SCTP entries deleted after
	// each sync and the whole table reconciled after each full one (nil:
	// leave conntrack alone, as unit tests do).
	Conntrack conntrack.Kernel
	// HealthChecks, when set, serves the health-check node ports of
	// Services with externalTrafficPolicy Local.
	HealthChecks HealthCheckSink
	// Reporter hears, once each, of the Services and EndpointSlices (or
	// parts of them) that are skipped as invalid or conflicting (nil: log
	// them with klog).
	Reporter Reporter
	// DetectTampering runs the backend's TamperWatcher, if it has one
	// (--detect-tampering): someone else's changes to the rules are
	// repaired within about a second instead of at the hourly full sync.
	DetectTampering bool
}

// HealthState is what /healthz and /livez report.
type HealthState struct {
	// LastSynced is when the last successful sync finished (zero: never).
	LastSynced time.Time
	// QueuedSince is when the oldest unsynced change arrived (zero: none).
	QueuedSince time.Time
	// Healthy is false when a queued change has waited longer than
	// max(2*SyncPeriod, ...) as kube-proxy's healthz does.
	Healthy bool
	// NodeDraining: the agent's Node is being (or was) deleted, or the
	// cluster autoscaler tainted it for removal; /healthz (not /livez)
	// then fails so load balancers drain it first (KEP-3836).
	NodeDraining bool
}
