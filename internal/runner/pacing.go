package runner

import "time"

// Pacing gives the pause after a sync that took cost before the next may
// start. Changes that arrive during the pause wait for it and are then
// applied together in one sync.
type Pacing func(cost time.Duration) time.Duration

// Fixed pauses d after every sync, whatever it cost: kube-proxy's
// --iptables-min-sync-period (v1.37's BoundedFrequencyRunner waits
// minInterval after each run ends, with no burst).
func Fixed(d time.Duration) Pacing {
	return func(time.Duration) time.Duration { return d }
}

// Adaptive pauses factor times what the last sync cost, at most ceiling.
// A cheap sync (one endpoint in an nftables map: ~0.1 s at 10k Services)
// is followed by a short pause, so the next change reaches the kernel
// well within a second, while under constant churn syncs take at most
// 1/(1+factor) of the loop's time (a core's share, for a CPU-bound sync).
// An expensive sync (an iptables shard rewrite, a full sync) reaches the
// ceiling and is paced exactly as Fixed(ceiling).
//
// This differs from kube-proxy, whose pause is always
// --iptables-min-sync-period (default 1 s): nodenet paces adaptively only
// when that flag (or the file's iptables.minSyncPeriod) is not given, with
// its value as the ceiling; given, it is honoured as kube-proxy does.
func Adaptive(factor float64, ceiling time.Duration) Pacing {
	return func(cost time.Duration) time.Duration {
		return min(time.Duration(factor*float64(cost)), ceiling)
	}
}
