package nftables

import (
	"reflect"
	"testing"

	"github.com/nodenet/nodenet/nodeport"
)

// TestNodePortAddrsLeaveOutCoveredPrefixes: the kernel refuses
// overlapping intervals, so a CIDR (or primary IP) inside another given
// one is not an element of its own.
func TestNodePortAddrsLeaveOutCoveredPrefixes(t *testing.T) {
	addrs, err := nodeport.ParseAddresses([]string{"10.1.0.0/16", "10.0.0.0/8", "192.0.2.0/24", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	n := newNodePortAddrs(familyV4, addrs)
	got := n.elements()
	want := [][]string{{"10.0.0.0/8"}, {"192.0.2.0/24"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("elements = %v, want %v", got, want)
	}
}
