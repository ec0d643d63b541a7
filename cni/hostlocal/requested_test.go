package hostlocal

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestAllocateRequested(t *testing.T) {
	a := New(mustParse(t, fmt.Sprintf(`{"dataDir":%q,"ranges":[[{"subnet":"10.7.0.0/24","rangeStart":"10.7.0.10","rangeEnd":"10.7.0.20"}],[{"subnet":"fd00:7::/64"}]]}`, t.TempDir())), "net")
	ask := func(ips ...string) []net.IP {
		var out []net.IP
		for _, s := range ips {
			out = append(out, net.ParseIP(s))
		}
		return out
	}
	got, err := a.Allocate(Attachment{"c1", "eth0"}, ask("10.7.0.15"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Address.String() != "10.7.0.15/24" || got[1].Address.IP.To4() != nil {
		t.Fatalf("requested v4 and a pooled v6: got %v", got)
	}
	// A retried ADD asking the same gets the same; asking another address
	// for the same attachment is refused rather than holding two.
	if again, err := a.Allocate(Attachment{"c1", "eth0"}, ask("10.7.0.15")); err != nil || !again[0].Address.IP.Equal(got[0].Address.IP) {
		t.Fatalf("repeat with the same request: %v %v", again, err)
	}
	for name, c := range map[string]struct {
		owner Attachment
		ips   []net.IP
	}{
		"taken":             {Attachment{"c2", "eth0"}, ask("10.7.0.15")},
		"outside the pool":  {Attachment{"c2", "eth0"}, ask("10.7.0.30")},
		"no range set":      {Attachment{"c2", "eth0"}, ask("192.168.0.1")},
		"gateway":           {Attachment{"c2", "eth0"}, ask("fd00:7::1")},
		"two in one set":    {Attachment{"c2", "eth0"}, ask("10.7.0.11", "10.7.0.12")},
		"another for owner": {Attachment{"c1", "eth0"}, ask("10.7.0.16")},
	} {
		if _, err := a.Allocate(c.owner, c.ips); !errors.Is(err, ErrRequestedUnavailable) {
			t.Errorf("%s: want ErrRequestedUnavailable, got %v", name, err)
		}
	}
	// Nothing leaked by the refusals: only c1's two addresses are on disk.
	ents, _ := os.ReadDir(filepath.Join(a.cfg.DataDir, "net"))
	var files []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), lastReservedPrefix) {
			files = append(files, e.Name())
		}
	}
	if len(files) != 2 {
		t.Errorf("files after refused requests: %v, want c1's two", files)
	}
	// One address through two channels (CNI_ARGS and the capability) is one request.
	if twice, err := a.Allocate(Attachment{"c4", "eth0"}, ask("10.7.0.19", "10.7.0.19")); err != nil || twice[0].Address.IP.String() != "10.7.0.19" {
		t.Fatalf("the same address asked twice: %v %v", twice, err)
	}
	both, err := a.Allocate(Attachment{"c3", "eth0"}, ask("fd00:7::abcd", "10.7.0.20"))
	if err != nil || both[0].Address.IP.String() != "10.7.0.20" || both[1].Address.IP.String() != "fd00:7::abcd" {
		t.Fatalf("one request per set, in any order: %v %v", both, err)
	}
}

// TestLockSerialisesOneAttachment: concurrent ADDs of the same attachment
// (a runtime retrying) must end with one address. Each list-then-reserve
// holds the directory's flock; without it both see nothing held and each
// reserves its own address.
func TestLockSerialisesOneAttachment(t *testing.T) {
	cfg := mustParse(t, fmt.Sprintf(`{"dataDir":%q,"subnet":"10.8.0.0/24"}`, t.TempDir()))
	owner := Attachment{"same", "eth0"}
	for round := 0; round < 20; round++ {
		const n = 16
		got := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// Own Allocator, own fd, own flock: as separate processes.
				ips, err := New(cfg, "net").Allocate(owner, nil)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = ips[0].Address.IP.String()
			})
		}
		wg.Wait()
		held, err := New(cfg, "net").Held(owner)
		if err != nil || len(held) != 1 {
			t.Fatalf("round %d: the attachment holds %v (%v), want one address; ADDs got %v", round, held, err, got)
		}
		for _, ip := range got {
			if ip != held[0].String() {
				t.Fatalf("round %d: ADDs got %v, want all %s", round, got, held[0])
			}
		}
		if err := New(cfg, "net").Release(owner); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadResolvConf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	content := "# comment\n; other comment\nnameserver 10.96.0.10\nnameserver fd00::a\nsearch a.svc b.svc\n" +
		"domain cluster.local\noptions ndots:5 edns0\nsortlist 10.0.0.0\nnameserver\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	dns, err := ReadResolvConf(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%v %v %v %v", dns.Nameservers, dns.Search, dns.Domain, dns.Options); got != "[10.96.0.10 fd00::a] [a.svc b.svc] cluster.local [ndots:5 edns0]" {
		t.Errorf("parsed %s", got)
	}
	if _, err := ReadResolvConf(path + ".missing"); err == nil {
		t.Error("a missing resolvConf is not an error")
	}
}

// TestNoRanges: a network whose ranges come only from the ipRanges
// capability parses without them (GC and STATUS get no runtimeConfig);
// release works by owner, and only an ADD without ranges is refused.
func TestNoRanges(t *testing.T) {
	dir := t.TempDir()
	withRanges := New(mustParse(t, fmt.Sprintf(`{"dataDir":%q,"subnet":"10.9.0.0/24"}`, dir)), "net")
	if _, err := withRanges.Allocate(Attachment{"c", "eth0"}, nil); err != nil {
		t.Fatal(err)
	}
	bare := New(mustParse(t, fmt.Sprintf(`{"type":"host-local","dataDir":%q}`, dir)), "net")
	if _, err := bare.Allocate(Attachment{"d", "eth0"}, nil); !errors.Is(err, ErrNoRanges) {
		t.Fatalf("ADD without ranges: want ErrNoRanges, got %v", err)
	}
	if err := bare.Status(); err != nil {
		t.Fatalf("STATUS without ranges: %v", err)
	}
	if released, err := bare.GC(map[Attachment]bool{}); err != nil || len(released) != 1 {
		t.Fatalf("GC without ranges: released %v, %v", released, err)
	}
}
