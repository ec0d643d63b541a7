package nodeport

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/nodeport/nodeporttest"
)

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestParseAddresses(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want Addresses
	}{
		{nil, Addresses{}},
		{[]string{"primary"}, Addresses{Primary: true}},
		{[]string{" primary ", ""}, Addresses{Primary: true}},
		{[]string{"192.168.1.7/24", "10.0.0.7/32"}, Addresses{CIDRs: prefixes("192.168.1.0/24", "10.0.0.7/32")}},
	} {
		got, err := ParseAddresses(tc.in)
		if err != nil || got.Primary != tc.want.Primary || !slices.Equal(got.CIDRs, tc.want.CIDRs) {
			t.Errorf("ParseAddresses(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for in, want := range map[string]string{
		"primary,10.0.0.0/8": `"primary" cannot be combined with CIDRs`,
		"primay":             `"primay" is not a CIDR`,
	} {
		if _, err := ParseAddresses(strings.Split(in, ",")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAddresses(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestRules(t *testing.T) {
	primary := addrs("192.0.2.1", "fd00::1")
	dual := Addresses{CIDRs: prefixes("10.0.0.0/8", "fd00::/8")}
	for _, tc := range []struct {
		name string
		a    Addresses
		is4  bool
		want Rules
	}{
		{"default v4: all but loopback", Addresses{}, true, Rules{AllLocal: true, Except: prefixes("127.0.0.0/8")[0]}},
		{"default v6: all but ::1", Addresses{}, false, Rules{AllLocal: true, Except: prefixes("::1/128")[0]}},
		{"CIDRs of the family", dual, true, Rules{Prefixes: prefixes("10.0.0.0/8")}},
		{"CIDRs of the other family only: all", Addresses{CIDRs: prefixes("fd00::/8")}, true, Rules{AllLocal: true, Except: prefixes("127.0.0.0/8")[0]}},
		{"primary: host prefixes of the family", Addresses{Primary: true}, false, Rules{Prefixes: prefixes("fd00::1/128")}},
	} {
		got := tc.a.Rules(primary, tc.is4)
		if got.AllLocal != tc.want.AllLocal || got.Except != tc.want.Except || !slices.Equal(got.Prefixes, tc.want.Prefixes) {
			t.Errorf("%s: Rules = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if r := (Addresses{Primary: true}).Rules(nil, true); r.AllLocal || len(r.Prefixes) != 0 {
		t.Errorf("primary with unknown IPs = %+v, want a match of nothing", r)
	}
}

func TestNodeAddrs(t *testing.T) {
	node := nodeporttest.NewAddrs(addrs("127.0.0.1", "192.0.2.1", "10.244.1.1", "::1", "fd00::1")...)
	for _, tc := range []struct {
		name    string
		a       Addresses
		primary []netip.Addr
		is4     bool
		want    []netip.Addr
	}{
		{"default: every address but loopback", Addresses{}, nil, true, addrs("192.0.2.1", "10.244.1.1")},
		{"default v6", Addresses{}, nil, false, addrs("fd00::1")},
		{"CIDR", Addresses{CIDRs: prefixes("10.244.0.0/16")}, nil, true, addrs("10.244.1.1")},
		{"CIDR with loopback opts it in", Addresses{CIDRs: prefixes("127.0.0.0/8")}, nil, true, addrs("127.0.0.1")},
		{"primary held by the node", Addresses{Primary: true}, addrs("192.0.2.1", "fd00::1"), true, addrs("192.0.2.1")},
		{"primary no longer held", Addresses{Primary: true}, addrs("192.0.2.9"), true, nil},
		{"primary unknown: none", Addresses{Primary: true}, nil, true, nil},
	} {
		got, err := tc.a.NodeAddrs(node, tc.primary, tc.is4)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: NodeAddrs = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	node.Fail(errors.New("netlink down"))
	if _, err := (Addresses{}).NodeAddrs(node, nil, true); err == nil {
		t.Error("a lister error was swallowed")
	}
}

// SystemAddrs sees at least loopback, which every network namespace has.
func TestSystemAddrs(t *testing.T) {
	got, err := SystemAddrs{}.LocalAddrs()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got, netip.Addr.IsLoopback) {
		t.Errorf("LocalAddrs = %v, want loopback among them", got)
	}
}
