//go:build e2e

package clustere2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// kernelWatch timestamps, from outside the agent, when each expected DNAT
// rule reaches a node's kernel: `nft monitor new` in the node's namespace
// streams every rule and element added to nf_tables (nodenet's nftables
// table, and iptables-nft's tables for its iptables mode), and each line is
// stamped as it is read. A change is seen when a line adds "dnat to
// <endpoint>:<port>" for its Service: the nftables backend names the
// Service in the chain ("…-bench/svc-7/tcp/p"), iptables-nft's rule shows
// the ClusterIP it matches ("ip daddr 10.96.0.12 ") (rule comments are not
// shown). Expect is called before the change is written, so no line can
// arrive before its change is known.
type kernelWatch struct {
	mu      sync.Mutex
	pending map[string][]*watchedChange // by "dnat to ip:port"
	seen    []time.Duration
	// stderr: the file nft monitor complains to (lost notifications:
	// "No buffer space available").
	stderr string
	// ready is closed when the monitor reports readyTable.
	ready     chan struct{}
	readyOnce sync.Once
}

// Errors is what the monitor wrote to stderr so far.
func (w *kernelWatch) Errors() string {
	b, _ := os.ReadFile(w.stderr)
	return strings.TrimSpace(string(b))
}

type watchedChange struct {
	service, clusterIP string
	trigger            time.Time
}

// watchKernel starts the monitor in ns; it is stopped at cleanup.
func watchKernel(tb testing.TB, ns string) *kernelWatch {
	tb.Helper()
	cmd := netns.Command(ns, "stdbuf", "-oL", "nft", "monitor", "new")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr := filepath.Join(tb.TempDir(), "nft-monitor.err")
	errFile, err := os.Create(stderr)
	if err != nil {
		tb.Fatal(err)
	}
	defer errFile.Close() // the child keeps its own descriptor
	cmd.Stderr = errFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("nft monitor in %s: %v", ns, err)
	}
	w := &kernelWatch{pending: map[string][]*watchedChange{}, stderr: stderr, ready: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.read(out)
	}()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		<-done
	})
	w.waitListening(tb, ns)
	return w
}

// readyTable is the table waitListening adds to see the monitor report it.
const readyTable = "nnt-watch-ready"

// waitListening returns once the monitor reports changes: it reads the
// whole ruleset before it listens (seconds at 10k Services, on a loaded
// machine), and changes made meanwhile would go unseen. A table is added
// and deleted until the monitor reports one.
func (w *kernelWatch) waitListening(tb testing.TB, ns string) {
	tb.Helper()
	err := netns.PollUntil(2*time.Minute, time.Second, func() error {
		netns.Run(tb, ns, "nft", "add", "table", "ip", readyTable)
		netns.Run(tb, ns, "nft", "delete", "table", "ip", readyTable)
		select {
		case <-w.ready:
			return nil
		case <-time.After(time.Second):
			return fmt.Errorf("nft monitor in %s reports nothing yet: %s", ns, w.Errors())
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// Expect registers a change: service (namespace/name) with clusterIP gets
// the DNAT target dest ("ip:port"), triggered at trigger.
func (w *kernelWatch) Expect(service, clusterIP, dest string, trigger time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := "dnat to " + dest
	w.pending[key] = append(w.pending[key], &watchedChange{service: service, clusterIP: clusterIP, trigger: trigger})
}

func (w *kernelWatch) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		at := time.Now()
		line := sc.Text()
		if strings.Contains(line, "table ip "+readyTable) {
			w.readyOnce.Do(func() { close(w.ready) })
		}
		i := strings.Index(line, "dnat to ")
		if i < 0 {
			continue
		}
		key, _, _ := strings.Cut(line[i+len("dnat to "):], " ")
		w.match("dnat to "+key, line, at)
	}
	_, _ = io.Copy(io.Discard, r)
}

func (w *kernelWatch) match(key, line string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cands := w.pending[key]
	for i, c := range cands {
		if strings.Contains(line, "-"+c.service+"/") || strings.Contains(line, "ip daddr "+c.clusterIP+" ") {
			w.seen = append(w.seen, at.Sub(c.trigger))
			w.pending[key] = append(cands[:i], cands[i+1:]...)
			return
		}
	}
}

// Unseen lists the changes not seen yet, as "service dnat to ip:port".
func (w *kernelWatch) Unseen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for key, cs := range w.pending {
		for _, c := range cs {
			out = append(out, c.service+" "+key)
		}
	}
	return out
}

// Seen returns the latencies observed so far and how many changes are
// still unseen.
func (w *kernelWatch) Seen() (latencies []time.Duration, unseen int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cs := range w.pending {
		unseen += len(cs)
	}
	return append([]time.Duration(nil), w.seen...), unseen
}
