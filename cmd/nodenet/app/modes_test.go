package app

import (
	"errors"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/proxymode"
)

// fakeMode is a proxymode.Mode that records what the agent asks of it.
type fakeMode struct {
	name     string
	unusable map[v1.IPFamily]error
	failing  map[v1.IPFamily]error // Cleanup and DumpRules fail
	rules    map[v1.IPFamily]string
	built    []proxymode.Options
	cleaned  []v1.IPFamily
}

func (m *fakeMode) Name() string               { return m.name }
func (m *fakeMode) Usable(f v1.IPFamily) error { return m.unusable[f] }
func (m *fakeMode) DumpRules(f v1.IPFamily) (string, error) {
	return m.rules[f], m.failing[f]
}

func (m *fakeMode) New(o proxymode.Options) (proxy.Backend, error) {
	m.built = append(m.built, o)
	return nopBackend{}, nil
}

func (m *fakeMode) Cleanup(f v1.IPFamily) error {
	m.cleaned = append(m.cleaned, f)
	return m.failing[f]
}

var _ proxymode.Mode = &fakeMode{}

func noIPv6() map[v1.IPFamily]error {
	return map[v1.IPFamily]error{v1.IPv6Protocol: errors.New("ip6tables: not found")}
}

// withModes swaps the registry for a test.
func withModes(t *testing.T, modes ...proxymode.Mode) {
	saved := proxyModes
	proxyModes = modes
	t.Cleanup(func() { proxyModes = saved })
}

func TestLookupMode(t *testing.T) {
	withModes(t, &fakeMode{name: "first"}, &fakeMode{name: "second"})
	for in, want := range map[string]string{"": "first", "first": "first", "second": "second"} {
		if m, err := lookupMode(in); err != nil || m.Name() != want {
			t.Errorf("lookupMode(%q) = %v, %v; want %s", in, m, err, want)
		}
	}
	_, err := lookupMode("userspace")
	if err == nil || !strings.Contains(err.Error(), `unknown mode "userspace" (known: first, second)`) {
		t.Errorf("lookupMode(userspace) = %v, want an error listing the known modes", err)
	}
}

// The real registry: iptables is there and the default.
func TestRegistryDefaultIsIPTables(t *testing.T) {
	if m, err := lookupMode(""); err != nil || m.Name() != "iptables" {
		t.Errorf("default mode = %v, %v; want iptables", m, err)
	}
}

// dumpRules prints the chosen mode's rules per family, and skips (or, when
// asked for by name, refuses) a family the mode cannot use.
func TestDumpRulesOfMode(t *testing.T) {
	m := &fakeMode{name: "fake", unusable: noIPv6(), rules: map[v1.IPFamily]string{v1.IPv4Protocol: "*nat\nCOMMIT\n"}}
	var out, errs strings.Builder
	if err := dumpRules(&out, &errs, m, proxymode.Families, true); err != nil {
		t.Fatal(err)
	}
	if out.String() != "# IPv4\n*nat\nCOMMIT\n" || !strings.Contains(errs.String(), "Skipped IPv6: its fake is not usable") {
		t.Errorf("out %q, messages %q", out.String(), errs.String())
	}
	if err := dumpRules(&out, &errs, m, []v1.IPFamily{v1.IPv6Protocol}, false); err == nil {
		t.Error("an unusable family asked for by name must be an error")
	}
}
