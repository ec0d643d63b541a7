//go:build e2e

package bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

type restoreCost struct{ seconds, peakMiB float64 }

// replayRestore saves the rules the agent programmed and restores them
// into a fresh namespace under GNU time: iptables-restore's own peak RSS
// cannot be read from the agent, because on Linux a child's ru_maxrss
// starts from its parent's high-water mark.
func replayRestore(b *testing.B, from string) restoreCost {
	saved, err := netns.Exec(from, "iptables-save")
	if err != nil {
		b.Fatal(err)
	}
	return timedRestore(b, []byte(withoutNFAcct(saved)), "--noflush")
}

// withoutNFAcct drops the nfacct matches (the INVALID drop's counter) from
// saved rules: the fresh namespace has no nfacct objects, which the agent
// makes over netlink before its first restore, and a rule naming a
// missing one is refused. One match on one rule costs the replay nothing.
func withoutNFAcct(saved string) string {
	var out strings.Builder
	for _, line := range strings.SplitAfter(saved, "\n") {
		if i := strings.Index(line, " -m nfacct --nfacct-name "); i >= 0 {
			rest := strings.Fields(line[i+len(" -m nfacct --nfacct-name "):])
			line = line[:i] + " " + strings.Join(rest[1:], " ") + "\n"
		}
		out.WriteString(line)
	}
	return out.String()
}

// replayNFTables does the same for the nftables mode: nodenet's ip table
// as `nft list table` prints it, loaded by `nft -f` in one transaction,
// as a full sync of a new node does.
func replayNFTables(b *testing.B, from string) restoreCost {
	saved, err := netns.Exec(from, "nft", "list", "table", "ip", "nodenet")
	if err != nil {
		b.Fatal(err)
	}
	return timedCommand(b, []byte(saved), "nft", "-f", "-")
}

// timedRestore restores payload in a new namespace, with extra flags.
func timedRestore(b *testing.B, payload []byte, flags ...string) restoreCost {
	return timedCommand(b, payload, append([]string{"iptables-restore", "-w", "5"}, flags...)...)
}

// timedCommand runs command with payload on stdin in a new namespace,
// under GNU time.
func timedCommand(b *testing.B, payload []byte, command ...string) restoreCost {
	ns := netns.New(b, netns.UniquePrefix("b")+"-replay")
	defer netns.Delete(b, ns.Name)
	args := append([]string{"netns", "exec", ns.Name, "/usr/bin/time", "-f", "maxrss-kib=%M"}, command...)
	cmd := exec.Command("ip", args...)
	cmd.Stdin = bytes.NewReader(payload)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("restore: %v: %s", err, stderr.String())
	}
	elapsed := time.Since(start)
	kib, err := parseMaxRSS(stderr.String())
	if err != nil {
		b.Fatal(err)
	}
	return restoreCost{seconds: elapsed.Seconds(), peakMiB: kib / 1024}
}

func parseMaxRSS(s string) (float64, error) {
	i := strings.LastIndex(s, "maxrss-kib=")
	if i < 0 {
		return 0, fmt.Errorf("no maxrss in %q", s)
	}
	return strconv.ParseFloat(strings.TrimSpace(s[i+len("maxrss-kib="):]), 64)
}
