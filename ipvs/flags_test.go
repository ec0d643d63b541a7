package ipvs

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestFlags(t *testing.T) {
	var f Flags
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.AddFlags(fs)
	err := fs.Parse([]string{"--ipvs-scheduler", "mh", "--ipvs-strict-arp", "--ipvs-tcp-timeout", "1h",
		"--ipvs-exclude-cidrs", "10.97.0.1/16,fd00::/64"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Scheduler != "mh" || !c.StrictARP || c.TCPTimeout != time.Hour ||
		!slices.Equal(c.ExcludeCIDRs, []netip.Prefix{netip.MustParsePrefix("10.97.0.0/16"), netip.MustParsePrefix("fd00::/64")}) {
		t.Errorf("config %+v", c)
	}
	for _, bad := range []Flags{{Scheduler: "fastest"}, {ExcludeCIDRs: []string{"nope"}}, {UDPTimeout: -time.Second}} {
		if _, err := bad.config(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
