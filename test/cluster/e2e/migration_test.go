//go:build e2e

package clustere2e

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/test/netns"
)

// migrationSyncPeriod is the agent's --iptables-sync-period in the
// migration: the longest a new connection may keep failing.
const migrationSyncPeriod = 5 * time.Second

// linesPort is where the backends' nnt-echo keeps connections open.
const linesPort = 9090

// TestMigrateFromKubeProxy is the migration of the README, step by step,
// with traffic flowing: upstream kube-proxy (iptables mode) serves a
// NodePort Service whose two endpoints are hosts on the underlay; a
// client on the node connects again and again to the ClusterIP, one
// outside to the NodePort, and two long-lived TCP connections (one each
// way) exchange a line every 100 ms. Then nodenet starts beside
// kube-proxy, kube-proxy is stopped, `nodenet cleanup --kube-proxy` runs,
// and nodenet alone serves. No new connection may fail for longer than
// one sync period, and both long-lived connections must still exchange
// lines at the end.
func TestMigrateFromKubeProxy(t *testing.T) {
	c := newCluster(t, 0)
	k := c.addKubeProxyNode(t, "mig", 20)
	c.ensureNamespace(t, "web", nil)
	svc := c.createService(t, "web", "mig", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeNodePort
		s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Name: "lines", Protocol: v1.ProtocolTCP, Port: 90,
			TargetPort: intstr.FromInt32(linesPort)})
	})
	elsewhere := &node{name: "elsewhere"}
	var eps []endpoint
	for i, name := range []string{"be-1", "be-2"} {
		be := &netns.Pod{NS: netns.New(t, c.net.Prefix+"-"+name), PodName: name}
		be.IP = c.net.Join(t, be.NS, "eth0", 51+i)
		be.StartEcho(t, echoPort, 0)
		netns.Start(t, be.Name, "lines "+name, netns.EchoBin, "serve", "-name", name, "-lines", ":"+strconv.Itoa(linesPort)).LogOnFailure(t)
		eps = append(eps, endpoint{be, elsewhere})
	}
	c.writeEndpoints(t, svc, eps...)
	clusterIP := net.JoinHostPort(svc.Spec.ClusterIP, "80")
	nodePort := net.JoinHostPort(k.ip, strconv.Itoa(int(svc.Spec.Ports[0].NodePort)))

	k.startKubeProxy(t, c, "iptables")
	probes := []*prober{startProber(t, k.ns.Name, "ClusterIP from the node", clusterIP),
		startProber(t, c.client.Name, "NodePort from outside", nodePort)}
	// kube-proxy's /healthz answers before its first sync: count from
	// when it serves.
	for _, p := range probes {
		p.waitAnswers(t, 5)
		p.forget()
	}
	held := []*netns.Proc{
		netns.Start(t, k.ns.Name, "held ClusterIP connection", netns.EchoBin, "hold", "-addr", net.JoinHostPort(svc.Spec.ClusterIP, "90")),
		netns.Start(t, c.client.Name, "held NodePort connection", netns.EchoBin, "hold", "-addr", net.JoinHostPort(k.ip, strconv.Itoa(int(svc.Spec.Ports[1].NodePort)))),
	}
	for _, h := range held {
		h.LogOnFailure(t)
		exchanging(t, h)
	}

	// The migration.
	steps := []step{{"nodenet starting", time.Now()}}
	k.startNodenet(t, c, "--iptables-sync-period", migrationSyncPeriod.String())
	steps = append(steps, step{"nodenet synced, kube-proxy stopping", time.Now()})
	k.kp.Stop()
	steps = append(steps, step{"kube-proxy stopped, cleanup running", time.Now()})
	if out, err := k.ns.Exec(nodenetBin, "cleanup", "--kube-proxy"); err != nil {
		t.Fatalf("nodenet cleanup --kube-proxy: %v\n%s", err, out)
	}
	steps = append(steps, step{"cleanup done", time.Now()})
	if rules := k.ns.Run(t, "iptables-save"); strings.Contains(rules, "KUBE-SERVICES") || !strings.Contains(rules, "NODENET-SERVICES") {
		t.Fatalf("after the cleanup, want nodenet's rules and none of kube-proxy's:\n%s", rules)
	}
	for _, p := range probes {
		p.waitAnswers(t, 20) // answered by nodenet's rules alone
	}
	for _, h := range held {
		exchanging(t, h)
	}
	for _, p := range probes {
		attempts, failed, outage := p.stop()
		t.Logf("%s: %d connections, %d failed (%s), longest outage %v", p.name, attempts, len(failed), during(failed, steps), outage)
		if outage >= migrationSyncPeriod {
			t.Errorf("%s: new connections failed for %v, longer than the sync period %v", p.name, outage, migrationSyncPeriod)
		}
	}
}

// step is a moment of the migration, to tell when connections failed.
type step struct {
	name string
	at   time.Time
}

// during names, for each failed attempt, the step it started in.
func during(failed []time.Time, steps []step) string {
	var out []string
	for _, f := range failed {
		name := "before the migration"
		for _, s := range steps {
			if !f.Before(s.at) {
				name = fmt.Sprintf("%s +%v", s.name, f.Sub(s.at).Round(time.Millisecond))
			}
		}
		out = append(out, name)
	}
	return strings.Join(out, "; ")
}

// exchanging waits until a held connection (nnt-echo hold) prints a new
// answer, and fails if it has exited (its connection broke).
func exchanging(t *testing.T, h *netns.Proc) {
	t.Helper()
	before := strings.Count(h.Output(), "\n")
	netns.Eventually(t, 10*time.Second, "a held connection exchanging lines", func() error {
		if exited, err := h.Exited(); exited {
			return netns.Permanent(fmt.Errorf("the held connection broke: %v\n%s", err, h.Output()))
		}
		if strings.Count(h.Output(), "\n") < before+2 {
			return fmt.Errorf("no new answer yet")
		}
		return nil
	})
}

// prober connects to addr from a namespace one connection after another
// (a new TCP connection each, 1 s timeout, 20 ms apart) until stopped,
// recording when each attempt started and whether an endpoint answered.
type prober struct {
	name string
	mu   sync.Mutex
	log  []attempt
	quit chan struct{}
	done chan error
}

type attempt struct {
	at time.Time
	ok bool
}

func startProber(t *testing.T, ns, name, addr string) *prober {
	p := &prober{name: name, quit: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		p.done <- netns.Within(ns, func() error {
			for {
				select {
				case <-p.quit:
					return nil
				case <-time.After(20 * time.Millisecond):
				}
				at := time.Now()
				ok := answers(addr)
				p.mu.Lock()
				p.log = append(p.log, attempt{at, ok})
				p.mu.Unlock()
			}
		})
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

func answers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "be-")
}

// waitAnswers waits for n more answered attempts than there are now.
func (p *prober) waitAnswers(t *testing.T, n int) {
	t.Helper()
	want := p.answered() + n
	netns.Eventually(t, 30*time.Second, p.name+" answered", func() error {
		if got := p.answered(); got < want {
			return fmt.Errorf("%d answered, want %d", got, want)
		}
		return nil
	})
}

// forget drops the attempts made so far.
func (p *prober) forget() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
}

func (p *prober) answered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, a := range p.log {
		if a.ok {
			n++
		}
	}
	return n
}

// stop ends the probing (once) and returns the number of attempts, of
// failures, and the longest time from a failed attempt's start to the
// start of the next answered one.
func (p *prober) stop() (attempts int, failed []time.Time, outage time.Duration) {
	select {
	case <-p.quit:
	default:
		close(p.quit)
		<-p.done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var firstFail time.Time
	for _, a := range p.log {
		switch {
		case !a.ok:
			failed = append(failed, a.at)
			if firstFail.IsZero() {
				firstFail = a.at
			}
		case !firstFail.IsZero():
			outage = max(outage, a.at.Sub(firstFail))
			firstFail = time.Time{}
		}
	}
	if !firstFail.IsZero() { // still failing at the end
		outage = max(outage, time.Since(firstFail))
	}
	return len(p.log), failed, outage
}
