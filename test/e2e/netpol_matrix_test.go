//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// cell is one probe of the reachability matrix: a connection from src to
// dst's address of one family, on port/proto.
type cell struct {
	src, dst podRef
	port     int
	proto    string // "tcp" or "udp"
	v6       bool
}

func (c cell) String() string {
	return fmt.Sprintf("%s -> %s %s/%d %s", c.src, c.dst, c.proto, c.port, familyName(c.v6))
}

func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// expectation is a scenario's truth table as a predicate: whether c must
// connect. Written per scenario from the policies' intent, independently of
// nodenet's model.
type expectation func(c cell) bool

func allowAll(cell) bool { return true }

// matrix is what one round of probes observed.
type matrix map[cell]probeResult

type probeResult struct {
	ok     bool
	detail string // the answer, or the error line
}

// probeTimeout bounds one probe. Denied packets are rejected with an ICMP
// error, so a probe normally ends at once; the timeout only matters when a
// packet is dropped.
const probeTimeout = time.Second

// cells lists every probe from the sources to every local pod.
func (w *policyWorld) cells(sources []podRef) []cell {
	var out []cell
	for _, src := range sources {
		for _, dst := range w.pods {
			for _, v6 := range []bool{false, true} {
				for _, port := range policyPorts {
					for _, proto := range policyProtos {
						out = append(out, cell{src: src, dst: dst, port: port, proto: proto, v6: v6})
					}
				}
			}
		}
	}
	return out
}

// sources are the matrix rows: every local pod and the remote pod.
func (w *policyWorld) sources() []podRef { return append(append([]podRef{}, w.pods...), remotePod) }

// probe runs every cell once: one nnt-echo probe exec per source, all
// sources at the same time.
func (w *policyWorld) probe(cells []cell) (matrix, error) {
	bySource := map[podRef][]cell{}
	for _, c := range cells {
		bySource[c.src] = append(bySource[c.src], c)
	}
	got := matrix{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for src, cs := range bySource {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := w.probeFrom(src, cs)
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
			for c, r := range res {
				got[c] = r
			}
		}()
	}
	wg.Wait()
	return got, errors.Join(errs...)
}

func (w *policyWorld) probeFrom(src podRef, cs []cell) (matrix, error) {
	args := []string{netns.EchoBin, "probe", "-timeout", probeTimeout.String()}
	for _, c := range cs {
		args = append(args, c.target(w))
	}
	out, err := netns.Exec(w.netnsOf(src), args...)
	if err != nil {
		return nil, fmt.Errorf("probe from %s: %w: %s", src, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(cs) {
		return nil, fmt.Errorf("probe from %s: %d lines for %d targets: %s", src, len(lines), len(cs), out)
	}
	res := matrix{}
	for i, c := range cs {
		res[c] = parseProbeLine(lines[i], c.target(w), w.byRef[c.dst].PodName)
	}
	return res, nil
}

func (c cell) target(w *policyWorld) string {
	return c.proto + "/" + net.JoinHostPort(w.addrOf(c.dst, c.v6), strconv.Itoa(c.port))
}

// parseProbeLine accepts "<target> ok <answerer> <addr>" only when the
// intended pod answered.
func parseProbeLine(line, target, wantPod string) probeResult {
	rest, found := strings.CutPrefix(line, target+" ")
	if !found {
		return probeResult{detail: "garbled: " + line}
	}
	f := strings.Fields(rest)
	if len(f) >= 2 && f[0] == "ok" && f[1] == wantPod {
		return probeResult{ok: true, detail: rest}
	}
	return probeResult{detail: rest}
}

// mismatches lists the cells where got differs from want; a pod always
// reaches itself (that traffic never leaves its namespace).
func mismatches(got matrix, want expectation) []cell {
	var bad []cell
	for c, r := range got {
		expected := c.src == c.dst || want(c)
		if r.ok != expected {
			bad = append(bad, c)
		}
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].String() < bad[j].String() })
	return bad
}

// expectMatrix polls until every probe matches want, then returns. On
// timeout it fails with the truth tables that differ.
func (w *policyWorld) expectMatrix(t *testing.T, what string, want expectation) {
	t.Helper()
	cells := w.cells(w.sources())
	var last matrix
	err := netns.PollUntil(20*time.Second, 200*time.Millisecond, func() error {
		got, err := w.probe(cells)
		if err != nil {
			return err
		}
		last = got
		if bad := mismatches(got, want); len(bad) > 0 {
			return fmt.Errorf("%d of %d probes differ", len(bad), len(cells))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, w.renderDiff(last, want))
	}
}

// renderDiff prints one grid per port/protocol/family that has a wrong
// cell: rows are sources, columns destinations. "." connected and should,
// "x" refused and should be, "!" connected but must not, "?" refused but
// must connect. The wrong cells' probe outputs follow.
func (w *policyWorld) renderDiff(got matrix, want expectation) string {
	if got == nil {
		return "(no probe round completed)"
	}
	var b strings.Builder
	bad := mismatches(got, want)
	for _, v6 := range []bool{false, true} {
		for _, port := range policyPorts {
			for _, proto := range policyProtos {
				w.renderGrid(&b, got, want, bad, proto, port, v6)
			}
		}
	}
	for _, c := range bad {
		fmt.Fprintf(&b, "  %s: %s\n", c, got[c].detail)
	}
	return b.String()
}

func (w *policyWorld) renderGrid(b *strings.Builder, got matrix, want expectation, bad []cell, proto string, port int, v6 bool) {
	if !hasCell(bad, func(c cell) bool { return c.proto == proto && c.port == port && c.v6 == v6 }) {
		return
	}
	fmt.Fprintf(b, "%s/%d %s (rows from, columns to)\n%-9s", strings.ToUpper(proto), port, familyName(v6), "")
	for _, dst := range w.pods {
		fmt.Fprintf(b, " %-4s", dst)
	}
	b.WriteString("\n")
	for _, src := range w.sources() {
		fmt.Fprintf(b, "%-9s", src)
		for _, dst := range w.pods {
			c := cell{src: src, dst: dst, port: port, proto: proto, v6: v6}
			fmt.Fprintf(b, " %-4s", gridMark(got[c].ok, src == dst || want(c)))
		}
		b.WriteString("\n")
	}
}

func hasCell(cells []cell, pred func(cell) bool) bool {
	for _, c := range cells {
		if pred(c) {
			return true
		}
	}
	return false
}

func gridMark(ok, expected bool) string {
	switch {
	case ok && expected:
		return "."
	case !ok && !expected:
		return "x"
	case ok:
		return "!"
	}
	return "?"
}
