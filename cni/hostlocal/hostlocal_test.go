package hostlocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func mustParse(t testing.TB, js string) *Config {
	t.Helper()
	c, err := Parse([]byte(js))
	if err != nil {
		t.Fatalf("Parse(%s): %v", js, err)
	}
	return c
}

func smallPool(t testing.TB, dir string) *Config {
	// 10.1.0.0/29: .1 gateway, .2-.6 allocatable (5), .7 broadcast.
	return mustParse(t, fmt.Sprintf(`{"type":"host-local","dataDir":%q,"subnet":"10.1.0.0/29"}`, dir))
}

func TestParseDefaults(t *testing.T) {
	c := mustParse(t, `{"type":"host-local","ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64","rangeStart":"fd00::10","rangeEnd":"fd00::20"}]]}`)
	if c.DataDir != DefaultDataDir {
		t.Errorf("dataDir = %q", c.DataDir)
	}
	r := c.Ranges[0][0]
	if r.RangeStart.String() != "10.0.0.1" || r.RangeEnd.String() != "10.0.0.254" || r.Gateway.String() != "10.0.0.1" {
		t.Errorf("v4 range = %s-%s gw %s", r.RangeStart, r.RangeEnd, r.Gateway)
	}
	r6 := c.Ranges[1][0]
	if r6.RangeStart.String() != "fd00::10" || r6.Gateway.String() != "fd00::1" {
		t.Errorf("v6 range = %s gw %s", r6.RangeStart, r6.Gateway)
	}
}

func TestParseErrors(t *testing.T) {
	for name, js := range map[string]string{
		"host bits":      `{"subnet":"10.0.0.1/24"}`,
		"too small":      `{"subnet":"10.0.0.0/31"}`,
		"start outside":  `{"subnet":"10.0.0.0/24","rangeStart":"10.0.1.1"}`,
		"start > end":    `{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.9","rangeEnd":"10.0.0.3"}`,
		"family mix":     `{"ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"fd00::/64"}]]}`,
		"overlap in set": `{"ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"10.0.0.0/25"}]]}`,
		"overlap sets":   `{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"10.0.0.0/24"}]]}`,
		"gw outside":     `{"subnet":"10.0.0.0/24","gateway":"10.9.0.1"}`,
		"route no dst":   `{"subnet":"10.0.0.0/24","routes":[{}]}`,
	} {
		if _, err := Parse([]byte(js)); err == nil {
			t.Errorf("%s: no error", name)
		} else if errors.As(err, new(*DecodeError)) {
			t.Errorf("%s: reported as decode error: %v", name, err)
		}
	}
	_, err := Parse([]byte(`{"subnet":`))
	if !errors.As(err, new(*DecodeError)) {
		t.Errorf("truncated JSON: want DecodeError, got %v", err)
	}
}

func TestAllocateSequentialSkipsGateway(t *testing.T) {
	a := New(smallPool(t, t.TempDir()), "net")
	var got []string
	for i := 0; i < 5; i++ {
		ips, err := a.Allocate(Attachment{"c" + strconv.Itoa(i), "eth0"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ips[0].Address.String())
		if ips[0].Gateway.String() != "10.1.0.1" {
			t.Errorf("gateway %s", ips[0].Gateway)
		}
	}
	want := "10.1.0.2/29 10.1.0.3/29 10.1.0.4/29 10.1.0.5/29 10.1.0.6/29"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v want %s", got, want)
	}
	if _, err := a.Allocate(Attachment{"c9", "eth0"}, nil); !errors.Is(err, ErrExhausted) {
		t.Errorf("6th allocation: want ErrExhausted, got %v", err)
	}
	if err := a.Status(); !errors.Is(err, ErrExhausted) {
		t.Errorf("Status on full pool: %v", err)
	}
	if err := a.Release(Attachment{"c2", "eth0"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Status(); err != nil {
		t.Errorf("Status after release: %v", err)
	}
	ips, err := a.Allocate(Attachment{"c9", "eth0"}, nil)
	if err != nil || ips[0].Address.IP.String() != "10.1.0.4" {
		t.Errorf("reuse freed address: %v %v", ips, err)
	}
}

func TestAllocateIdempotentPerAttachment(t *testing.T) {
	a := New(mustParse(t, fmt.Sprintf(`{"dataDir":%q,"ranges":[[{"subnet":"10.2.0.0/24"}],[{"subnet":"fd00:2::/64"}]]}`, t.TempDir())), "net")
	first, err := a.Allocate(Attachment{"c", "eth0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.Allocate(Attachment{"c", "eth0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || len(again) != 2 || !first[0].Address.IP.Equal(again[0].Address.IP) || !first[1].Address.IP.Equal(again[1].Address.IP) {
		t.Fatalf("repeat ADD changed addresses: %v vs %v", first, again)
	}
	other, _ := a.Allocate(Attachment{"c", "net1"}, nil)
	if other[0].Address.IP.Equal(first[0].Address.IP) {
		t.Errorf("second ifname of same container got the same address")
	}
	if err := a.Release(Attachment{"c", "eth0"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(Attachment{"c", "eth0"}); err != nil {
		t.Errorf("second release: %v", err)
	}
	held, _ := a.Held(Attachment{"c", "net1"})
	if len(held) != 2 {
		t.Errorf("release of eth0 touched net1: held %v", held)
	}
}

func TestGC(t *testing.T) {
	dir := t.TempDir()
	a := New(smallPool(t, dir), "net")
	for _, id := range []string{"keep", "leak1", "leak2"} {
		if _, err := a.Allocate(Attachment{id, "eth0"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A file left empty by a process killed between create and write.
	if err := os.WriteFile(filepath.Join(dir, "net", "10.1.0.6"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	released, err := a.GC(map[Attachment]bool{{"keep", "eth0"}: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(released) != 3 {
		t.Errorf("released %v, want leak1, leak2 and the empty file", released)
	}
	held, _ := a.Held(Attachment{"keep", "eth0"})
	if len(held) != 1 {
		t.Errorf("GC released a valid attachment")
	}
}

func TestNetworkNameCannotEscape(t *testing.T) {
	dir := t.TempDir()
	a := New(smallPool(t, dir), "../evil")
	if _, err := a.Allocate(Attachment{"c", "eth0"}, nil); err == nil {
		t.Fatal("network name with .. was accepted")
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	cfg := mustParse(t, fmt.Sprintf(`{"dataDir":%q,"subnet":"10.3.0.0/24"}`, t.TempDir()))
	const n = 60
	ips := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A fresh Allocator per goroutine: its own fd, hence its own
			// flock, exactly like separate plugin processes.
			got, err := New(cfg, "net").Allocate(Attachment{"c" + strconv.Itoa(i), "eth0"}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			ips[i] = got[0].Address.IP.String()
		}()
	}
	wg.Wait()
	assertDistinct(t, ips, n)
}

// TestConcurrentProcesses re-executes the test binary as allocator helper
// processes racing on one data dir: flock must serialise them.
func TestConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs, per = 4, 15
	outs := make([][]byte, procs)
	var wg sync.WaitGroup
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAllocate$")
			cmd.Env = append(os.Environ(), "NNT_ALLOC_DIR="+dir, "NNT_ALLOC_PREFIX=p"+strconv.Itoa(p), "NNT_ALLOC_N="+strconv.Itoa(per))
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("helper %d: %v", p, err)
			}
			outs[p] = out
		}()
	}
	wg.Wait()
	var ips []string
	for _, o := range outs {
		for _, l := range strings.Split(string(o), "\n") {
			if strings.HasPrefix(l, "IP ") {
				ips = append(ips, strings.TrimPrefix(l, "IP "))
			}
		}
	}
	assertDistinct(t, ips, procs*per)
}

func TestHelperAllocate(t *testing.T) {
	dir := os.Getenv("NNT_ALLOC_DIR")
	if dir == "" {
		return // only meaningful as a helper process
	}
	n, _ := strconv.Atoi(os.Getenv("NNT_ALLOC_N"))
	cfg := mustParse(t, fmt.Sprintf(`{"dataDir":%q,"subnet":"10.4.0.0/24"}`, dir))
	for i := 0; i < n; i++ {
		got, err := New(cfg, "net").Allocate(Attachment{os.Getenv("NNT_ALLOC_PREFIX") + "-" + strconv.Itoa(i), "eth0"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("IP", got[0].Address.IP)
	}
}

func assertDistinct(t *testing.T, ips []string, want int) {
	t.Helper()
	seen := map[string]bool{}
	for _, ip := range ips {
		if ip == "" || net.ParseIP(ip) == nil {
			t.Errorf("bad address %q", ip)
		}
		if seen[ip] {
			t.Errorf("address %s handed out twice", ip)
		}
		seen[ip] = true
	}
	if len(seen) != want {
		t.Errorf("%d distinct addresses, want %d", len(seen), want)
	}
}

func TestIteratorWrapsAcrossRanges(t *testing.T) {
	c := mustParse(t, `{"ranges":[[{"subnet":"10.5.0.0/30"},{"subnet":"10.6.0.0/30"}]]}`)
	it := newIterator(c.Ranges[0], net.ParseIP("10.5.0.2"))
	var got []string
	for ip := it.next(); ip != nil; ip = it.next() {
		got = append(got, ip.String())
	}
	// Gateways .1 skipped; starts after last reserved, wraps to it.
	if strings.Join(got, " ") != "10.6.0.2 10.5.0.2" {
		t.Errorf("iteration %v", got)
	}
	b, _ := json.Marshal(c)
	if len(b) == 0 {
		t.Error("config does not marshal")
	}
}

func TestInPool(t *testing.T) {
	c, err := Parse([]byte(`{"type":"host-local","ranges":[[{"subnet":"10.5.0.0/24","rangeStart":"10.5.0.10","gateway":"10.5.0.1"}],[{"subnet":"fd05::/64"}]]}`))
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP
	for _, c2 := range []struct {
		addrs []net.IP
		want  string
	}{
		{[]net.IP{ip("10.5.0.1")}, "<nil>"}, // the gateway
		{[]net.IP{ip("10.5.0.5")}, "<nil>"}, // below rangeStart
		{[]net.IP{ip("127.0.0.1"), ip("10.5.0.20")}, "10.5.0.20"},
		{[]net.IP{ip("fd05::1")}, "<nil>"}, // the default gateway
		{[]net.IP{ip("fe80::1"), ip("fd05::9")}, "fd05::9"},
	} {
		if got, _ := c.InPool(c2.addrs); got.String() != c2.want {
			t.Errorf("InPool(%v) = %v, want %s", c2.addrs, got, c2.want)
		}
	}
}
