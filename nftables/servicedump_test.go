package nftables

import (
	"reflect"
	"testing"
)

// A `nft list table` as nft 1.0.6 prints it: elements over several lines,
// no "offset 0", an affinity chain and its timed set.
const sampleListing = `table ip nodenet {
	comment "nodenet Service proxy"
	set cluster-ips {
		type ipv4_addr
		elements = { 10.96.0.10, 10.96.0.11,
			     10.96.0.99 }
	}
	set aff-AAAA {
		type ipv4_addr
		flags dynamic,timeout
		timeout 1m
		elements = { 192.0.2.10 timeout 1m expires 59s }
	}
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 10.96.0.10 . tcp . 80 : goto svc-HASHHASH-default/web/tcp/http,
			     10.96.0.11 . tcp . 80 : goto svc-HASHHAS2-default/sticky/tcp/ }
	}
	map eps-tcp-00 {
		typeof numgen random mod 1 : ip daddr . tcp dport
		elements = { 0 : 10.244.1.2 . 8080, 1 : 10.244.1.3 . 8080,
			     4 : 10.244.9.9 . 8080 }
	}
	chain svc-HASHHASH-default/web/tcp/http {
		meta l4proto tcp dnat ip to numgen random mod 2 map @eps-tcp-00
	}
	chain svc-HASHHAS2-default/sticky/tcp/ {
		ip saddr @aff-AAAA goto aep-AAAA
		goto aep-AAAA
	}
	chain aep-AAAA {
		update @aff-AAAA { ip saddr }
		meta l4proto tcp dnat to 10.244.1.4:8080
	}
}
`

func TestByServicePortGroupsByNamesAndReferences(t *testing.T) {
	ports, other := ParseListing(sampleListing).ByServicePort(map[string][]string{"10.96.0.10": {"default/web/tcp/http"}})
	web, sticky := "default/web/tcp/http", "default/sticky/tcp/"
	want := []PortObjects{
		{Port: sticky, Chains: []ChainListing{
			{"svc-HASHHAS2-default/sticky/tcp/", []string{"ip saddr @aff-AAAA goto aep-AAAA", "goto aep-AAAA"}},
			{"aep-AAAA", []string{"update @aff-AAAA { ip saddr }", "meta l4proto tcp dnat to 10.244.1.4:8080"}},
		}, Elements: []ElementListing{
			{"aff-AAAA", "192.0.2.10 timeout 1m expires 59s"},
			{"service-ips", "10.96.0.11 . tcp . 80 : goto svc-HASHHAS2-default/sticky/tcp/"},
		}},
		{Port: web, Chains: []ChainListing{
			{"svc-HASHHASH-default/web/tcp/http", []string{"meta l4proto tcp dnat ip to numgen random mod 2 map @eps-tcp-00"}},
		}, Elements: []ElementListing{
			{"cluster-ips", "10.96.0.10"},
			{"service-ips", "10.96.0.10 . tcp . 80 : goto svc-HASHHASH-default/web/tcp/http"},
			{"eps-tcp-00", "0 : 10.244.1.2 . 8080"},
			{"eps-tcp-00", "1 : 10.244.1.3 . 8080"},
		}},
	}
	if !reflect.DeepEqual(ports, want) {
		t.Errorf("ports:\n%+v\nwant\n%+v", ports, want)
	}
	wantOther := []ElementListing{{"cluster-ips", "10.96.0.11"}, {"cluster-ips", "10.96.0.99"}, {"eps-tcp-00", "4 : 10.244.9.9 . 8080"}}
	if !reflect.DeepEqual(other, wantOther) {
		t.Errorf("unattributed %+v, want %+v", other, wantOther)
	}
}
