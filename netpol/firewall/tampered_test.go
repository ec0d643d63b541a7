package firewall

import (
	"strings"
	"testing"
)

// TestTamperedSeesWhatChanged: on the fake kernels, a flushed chain, a
// deleted chain, a rule inserted above the hook and a rule appended to a
// pod chain are each reported, by name; the firewall's own sync is not.
func TestTamperedSeesWhatChanged(t *testing.T) {
	for _, c := range []struct {
		name, tamper, want string
	}{
		{"flush", "-F NODENET-FW-INGRESS", "chain NODENET-FW-INGRESS has 0 rules"},
		{"insert above the hook", "-I FORWARD 1 -j ACCEPT", "the hook is not alone first in FORWARD"},
		{"hook deleted", `-D FORWARD -m comment --comment "nodenet network policy" -j NODENET-FW`, "the hook is not alone first in FORWARD"},
		{"append", "-A NODENET-FW-INGRESS -j RETURN", "chain NODENET-FW-INGRESS has"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakes()
			fw := f.firewall(t, Options{})
			mustSync(t, fw, compute(t, testInput()), true)
			if what, err := fw.Tampered(); err != nil || what != "" {
				t.Fatalf("after its own sync: %q, %v", what, err)
			}
			if err := f.v4.Restore([]byte("*filter\n" + c.tamper + "\nCOMMIT\n")); err != nil {
				t.Fatal(err)
			}
			what, err := fw.Tampered()
			if err != nil || !strings.Contains(what, c.want) {
				t.Fatalf("Tampered() = %q, %v; want %q", what, err, c.want)
			}
			mustSync(t, fw, compute(t, testInput()), true)
			if what, _ := fw.Tampered(); what != "" {
				t.Errorf("after the repair: %q", what)
			}
		})
	}
}
