package conntrack_test

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/proxy/conntrack/conntracktest"
)

const udp = 17

var a = netip.MustParseAddr

// entry is a UDP flow from a client to dst:port answered by replySrc.
func entry(dst string, port uint16, replySrc string) conntrack.Entry {
	client := "10.244.2.9"
	if a(dst).Is6() {
		client = "fd00:244::9"
	}
	return conntrack.Entry{Protocol: udp, OrigSrc: a(client), OrigSrcPort: 40000, OrigDst: a(dst), OrigDstPort: port, ReplySrc: a(replySrc)}
}

func filter(dst string, port uint16, replySrc string) conntrack.Filter {
	return conntrack.Filter{Protocol: udp, OrigDst: a(dst), OrigDstPort: port, ReplySrc: a(replySrc)}
}

var (
	v4Stale = entry("10.96.0.10", 53, "10.244.1.2")
	v4Keep  = entry("10.96.0.10", 53, "10.244.1.3")
	v6Stale = entry("fd00:96::a", 53, "fd00:244::2")
	v6Keep  = entry("fd00:96::a", 53, "fd00:244::3")
	filters = []conntrack.Filter{filter("10.96.0.10", 53, "10.244.1.2"), filter("fd00:96::a", 53, "fd00:244::2")}
)

func assertEntries(t *testing.T, ct *conntracktest.Fake, want ...conntrack.Entry) {
	t.Helper()
	if got := ct.Entries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("conntrack holds %v, want %v", got, want)
	}
}

// TestDeleteAttemptsEveryFamily: an IPv4 failure does not stop the IPv6
// cleanup, and the IPv4 filters come back for the next try.
func TestDeleteAttemptsEveryFamily(t *testing.T) {
	ct := &conntracktest.Fake{}
	ct.Add(v4Stale, v4Keep, v6Stale, v6Keep)
	boom := errors.New("EPERM")
	ct.Fail(false, boom)
	n, failed, err := conntrack.Cleaner{Kernel: ct}.Delete(filters)
	if !errors.Is(err, boom) || n != 1 {
		t.Fatalf("deleted %d, err %v; want 1 and the IPv4 error", n, err)
	}
	if !reflect.DeepEqual(failed, filters[:1]) {
		t.Fatalf("failed %v, want the IPv4 filter", failed)
	}
	assertEntries(t, ct, v4Stale, v4Keep, v6Keep)

	ct.Fail(false, nil)
	if n, failed, err := (conntrack.Cleaner{Kernel: ct}).Delete(failed); err != nil || n != 1 || failed != nil {
		t.Fatalf("retry: deleted %d, failed %v, err %v", n, failed, err)
	}
	assertEntries(t, ct, v4Keep, v6Keep)
}

// TestDeleteRetriesInterruptedDumps: an interrupted dump deleted only what
// it saw; the retry deletes the rest, and the count adds up.
func TestDeleteRetriesInterruptedDumps(t *testing.T) {
	ct := &conntracktest.Fake{}
	other := entry("10.96.0.10", 53, "10.244.1.2")
	other.OrigSrcPort = 40001
	ct.Add(v4Stale, other, v4Keep)
	ct.Interrupt(false, 2)
	n, failed, err := conntrack.Cleaner{Kernel: ct}.Delete(filters[:1])
	if err != nil || failed != nil || n != 2 {
		t.Fatalf("deleted %d, failed %v, err %v; want 2 deleted, no error", n, failed, err)
	}
	if d := ct.Dumps(false); d != 3 {
		t.Errorf("%d dumps, want 3 (two interrupted, one whole)", d)
	}
	assertEntries(t, ct, v4Keep)
}

// TestDeleteGivesUpOnEndlessInterruptions: the filters come back, with an
// error that says why.
func TestDeleteGivesUpOnEndlessInterruptions(t *testing.T) {
	ct := &conntracktest.Fake{}
	ct.Add(v4Keep, v4Stale)
	ct.Interrupt(false, 1000)
	_, failed, err := conntrack.Cleaner{Kernel: ct}.Delete(filters[:1])
	if !errors.Is(err, netlink.ErrDumpInterrupted) || len(failed) != 1 {
		t.Fatalf("failed %v, err %v; want the filter back and ErrDumpInterrupted", failed, err)
	}
	assertEntries(t, ct, v4Keep, v4Stale)
}
