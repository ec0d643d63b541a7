package nfwatch

import (
	"github.com/google/nftables"
)

// changeOf reads the object of one announcement. Element and object
// announcements are not reported: nodenet's iptables chains have no
// nf_tables sets, and an nftables backend watches its chains and sets.
func changeOf(ev *nftables.MonitorEvent) (Change, bool) {
	created := ev.Type == nftables.MonitorEventTypeNewRule || ev.Type == nftables.MonitorEventTypeNewChain ||
		ev.Type == nftables.MonitorEventTypeNewTable || ev.Type == nftables.MonitorEventTypeNewSet
	switch d := ev.Data.(type) {
	case *nftables.Rule:
		if d == nil || d.Table == nil {
			return Change{}, false
		}
		c := Change{Family: familyName(d.Table.Family), Table: d.Table.Name, Verb: pick(created, "rule added", "rule deleted")}
		if d.Chain != nil {
			c.Chain = d.Chain.Name
		}
		return c, true
	case *nftables.Chain:
		if d == nil || d.Table == nil {
			return Change{}, false
		}
		return Change{Family: familyName(d.Table.Family), Table: d.Table.Name, Chain: d.Name, Verb: pick(created, "chain created", "chain deleted")}, true
	case *nftables.Table:
		if d == nil {
			return Change{}, false
		}
		return Change{Family: familyName(d.Family), Table: d.Name, Verb: pick(created, "table created", "table deleted")}, true
	case *nftables.Set:
		if d == nil || d.Table == nil {
			return Change{}, false
		}
		return Change{Family: familyName(d.Table.Family), Table: d.Table.Name, Set: d.Name, Verb: pick(created, "set created", "set deleted")}, true
	}
	return Change{}, false
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyBridge:
		return "bridge"
	case nftables.TableFamilyARP:
		return "arp"
	case nftables.TableFamilyNetdev:
		return "netdev"
	}
	return "unknown"
}
