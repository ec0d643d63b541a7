//go:build e2e

package firewall

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/test/netns"
)

// TestWatchTamperingSeesFirewallChanges is the contract of
// firewall.WatchTampering against the kernel: changes to the firewall's
// chains and to filter FORWARD, in both families, are reported with what
// changed; changes elsewhere (the proxy's nat table) are not.
func TestWatchTamperingSeesFirewallChanges(t *testing.T) {
	ns := newNode(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	events := make(chan string, 100)
	go func() {
		defer close(done)
		_ = within(t, ns.Name, func() error {
			firewall.WatchTampering(ctx, func(what string) { events <- what })
			return nil
		})
	}()
	// waitFor reads reports until one names want (iptables-nft also
	// re-announces the base chains it declares, so others may come
	// first); none may name another table's chain.
	waitFor := func(want string) {
		t.Helper()
		for {
			select {
			case e := <-events:
				if strings.Contains(e, "NODENET-SVC") {
					t.Errorf("reported a nat change: %q", e)
				}
				if strings.Contains(e, want) {
					return
				}
			case <-time.After(2 * time.Second):
				t.Errorf("no %q within 2 s", want)
				return
			}
		}
	}
	// Someone else's command: nfwatch takes a live child of this process
	// (the watcher runs in the test's process) for nodenet's own writer,
	// so the tamperer runs as a grandchild, under a shell that cannot
	// exec it in its place.
	foreign := func(argv ...string) {
		t.Helper()
		ns.Run(t, "sh", "-c", strings.Join(argv, " ")+"; true")
	}
	// The first change may come before the subscription: retry until seen.
	netns.Eventually(t, 5*time.Second, "the watch reports a new chain", func() error {
		_, _ = ns.Exec("iptables", "-w", "-X", "NODENET-FW-T1")
		foreign("iptables", "-w", "-N", "NODENET-FW-T1")
		for {
			select {
			case e := <-events:
				if strings.Contains(e, "chain created: ip filter NODENET-FW-T1") {
					return nil
				}
			case <-time.After(500 * time.Millisecond):
				return fmt.Errorf("no event")
			}
		}
	})

	foreign("iptables", "-w", "-t", "nat", "-N", "NODENET-SVC-T")
	foreign("iptables", "-w", "-t", "nat", "-A", "NODENET-SVC-T", "-j", "RETURN")
	foreign("iptables", "-w", "-A", "FORWARD", "-j", "ACCEPT")
	waitFor("rule added: ip filter FORWARD")
	foreign("ip6tables", "-w", "-N", "NODENET-FW-INGRESS")
	foreign("ip6tables", "-w", "-A", "NODENET-FW-INGRESS", "-j", "RETURN")
	waitFor("chain created: ip6 filter NODENET-FW-INGRESS")
	waitFor("rule added: ip6 filter NODENET-FW-INGRESS")
	foreign("ip6tables", "-w", "-F", "NODENET-FW-INGRESS")
	waitFor("rule deleted: ip6 filter NODENET-FW-INGRESS")
}
