package firewall

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/nftables"
	"k8s.io/klog/v2"
)

// Tampering. iptables here is the nf_tables backend (iptables-nft), whose
// every change the kernel announces on nfnetlink's NFNLGRP_NFTABLES group
// (what `nft monitor` prints). WatchTampering listens there and reports
// changes to the firewall's chains and to filter FORWARD (its hook) in
// either family, within milliseconds; the controller then checks them
// against what was applied (Verify, which tells its own syncs' changes
// from someone else's) and repairs with a full sync. Nothing is polled: a
// node where nothing changes costs nothing, and a change to another table
// (the proxy's nat rules) is dropped after a name comparison.
//
// iptables-legacy makes no such announcements: there the controller's
// periodic check of the hook (Intact) is all there is. ipset changes are
// not announced either (ipset is not nf_tables): a member removed from
// or added to one of the firewall's sets is repaired by the hourly full
// sync only.

// filterTableName is the table iptables-nft keeps filter rules in.
const filterTableName = "filter"

// watchRetry is the wait before listening again after the subscription
// broke (the socket's buffer overflowed during a large restore).
const watchRetry = time.Second

// WatchTampering calls notify with a short description of each change to
// the firewall's chains or the FORWARD chain in the current network
// namespace, and once, "events lost", when announcements may have been
// missed. It returns when ctx is done.
func WatchTampering(ctx context.Context, notify func(what string)) {
	for ctx.Err() == nil {
		if err := watchOnce(ctx, notify); err != nil {
			klog.V(2).InfoS("Listening to nf_tables changes failed; retrying", "err", err)
		}
		notify("events lost")
		select {
		case <-ctx.Done():
		case <-time.After(watchRetry):
		}
	}
}

func watchOnce(ctx context.Context, notify func(string)) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	mon := nftables.NewMonitor(nftables.WithMonitorEventBuffer(1024))
	events, err := c.AddMonitor(mon)
	if err != nil {
		return err
	}
	defer mon.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return fmt.Errorf("nf_tables monitor closed")
			}
			if ev.Error != nil {
				return ev.Error
			}
			if what := tamperedObject(ev); what != "" {
				notify(what)
			}
		}
	}
}

// tamperedObject describes ev if it touches the firewall ("" if not).
func tamperedObject(ev *nftables.MonitorEvent) string {
	var table *nftables.Table
	var chain, verb string
	switch d := ev.Data.(type) {
	case *nftables.Rule:
		table, verb = d.Table, "rule added to"
		if ev.Type == nftables.MonitorEventTypeDelRule {
			verb = "rule deleted from"
		}
		if d.Chain != nil {
			chain = d.Chain.Name
		}
	case *nftables.Chain:
		table, chain, verb = d.Table, d.Name, "chain created:"
		if ev.Type == nftables.MonitorEventTypeDelChain {
			verb = "chain deleted:"
		}
	case *nftables.Table:
		if ev.Type == nftables.MonitorEventTypeDelTable && d.Name == filterTableName && isIPFamily(d.Family) {
			return "table deleted: " + familyOfTable(d.Family) + " filter"
		}
		return ""
	default:
		return ""
	}
	if table == nil || table.Name != filterTableName || !isIPFamily(table.Family) {
		return ""
	}
	if chain != forwardChain && chain != topChain && !strings.HasPrefix(chain, chainPrefix+"-") {
		return ""
	}
	return fmt.Sprintf("%s %s filter %s", verb, familyOfTable(table.Family), chain)
}

func isIPFamily(f nftables.TableFamily) bool {
	return f == nftables.TableFamilyIPv4 || f == nftables.TableFamilyIPv6
}

func familyOfTable(f nftables.TableFamily) string {
	if f == nftables.TableFamilyIPv6 {
		return "ip6"
	}
	return "ip"
}
