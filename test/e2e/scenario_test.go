//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// Fixed addresses of the suite's Services (see netns.ProxyTopology).
const (
	webIP      = "10.96.0.10"
	emptyIP    = "10.96.0.20"
	webNodePrt = 30080
	lbIP       = "203.0.113.10"
	externalIP = "203.0.113.20"
)

// scenario is one test's world: topology, echo pods, manifests folder and
// (once started) the agent.
type scenario struct {
	t     *testing.T
	topo  *netns.ProxyTopology
	dir   string // the agent's --manifests folder
	stage string // same filesystem as dir, for atomic writes
	agent *netns.Proc
	// agentEnv, if set, is VAR=value pairs the agent runs with (through
	// env(1)), e.g. a PATH whose iptables-restore can be made to fail.
	agentEnv []string
}

// newScenario builds the topology with echo servers in every pod (TCP and
// UDP on 8080, HTTP on 80) and a manifests folder holding the Node.
func newScenario(t *testing.T, pods ...string) *scenario {
	t.Helper()
	netns.RequireRoot(t)
	base := t.TempDir()
	s := &scenario{t: t, dir: filepath.Join(base, "manifests"), stage: base}
	if err := os.Mkdir(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.topo = netns.NewProxyTopology(t, "e", pods...)
	for _, p := range s.topo.Pods {
		p.StartEcho(t, 8080, 80).LogOnFailure(t)
	}
	s.write("node.yaml", nodeYAML(netns.NodeExtIP))
	return s
}

// write puts a manifest into the folder atomically (written beside it,
// then renamed in) so the agent never reads half a file.
func (s *scenario) write(name, content string) {
	s.t.Helper()
	tmp := filepath.Join(s.stage, name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		s.t.Fatal(err)
	}
}

// remove deletes a manifest from the folder.
func (s *scenario) remove(name string) {
	s.t.Helper()
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
		s.t.Fatal(err)
	}
}

// addService writes the Service and its EndpointSlice.
func (s *scenario) addService(svc service, eps ...endpoint) {
	s.t.Helper()
	s.write("svc-"+svc.Name+".yaml", svc.YAML())
	s.write("eps-"+svc.Name+".yaml", sliceYAML(svc, eps...))
}

// ep returns the ready endpoint for pod name.
func (s *scenario) ep(name string) endpoint {
	return endpoint{Pod: name, IP: s.topo.Pod(s.t, name).IP, Ready: true, Serving: true}
}

// pod returns the namespace name of pod name.
func (s *scenario) pod(name string) string { return s.topo.Pod(s.t, name).Name }

// startAgent runs `nodenet agent` in the node namespace and waits until it
// answers `nodenet dump`. Its log is printed if the test fails.
func (s *scenario) startAgent(extra ...string) {
	s.t.Helper()
	rootBefore := rootNodenetLines(s.t)
	args := s.withAgentEnv(s.agentArgs(extra...))
	s.agent = netns.Start(s.t, s.topo.Node.Name, "nodenet agent", args...)
	s.agent.LogOnFailure(s.t)
	s.t.Cleanup(func() {
		if s.t.Failed() {
			dumps := [][]string{{"iptables-save"}, {"ip6tables-save"}, {"nft", "list", "ruleset"}}
			if proxyMode == "ipvs" {
				dumps = append(dumps, []string{"ipvsadm", "-Ln"}, []string{"ipset", "list"}, []string{"conntrack", "-L"})
			}
			for _, save := range dumps {
				out, _ := s.topo.Node.Exec(save...)
				s.t.Logf("---- %s in %s ----\n%s", save[0], s.topo.Node.Name, out)
			}
		}
	})
	s.t.Cleanup(func() { checkRootUntouched(s.t, rootBefore) })
	netns.Eventually(s.t, 30*time.Second, "agent answers nodenet dump", func() error {
		if exited, err := s.agent.Exited(); exited {
			return netns.Permanent(fmt.Errorf("agent exited: %v", err))
		}
		_, err := s.nodenet("dump")
		return err
	})
}

// agentArgs is the agent's command line: the suite's flags, the proxy
// mode under test, then extra (which may override the mode).
func (s *scenario) agentArgs(extra ...string) []string {
	args := []string{nodenetBin, "agent", "--manifests", s.dir,
		"--hostname-override", nodeName,
		"--healthz-bind-address", "127.0.0.1:10256",
		"--metrics-bind-address", "127.0.0.1:10249", "-v", "2",
		"--proxy-mode", proxyMode}
	return append(args, extra...)
}

// nodenet runs a nodenet subcommand in the node namespace, in the
// agent's environment: with the firewall on iptables-legacy, `nodenet
// cleanup` must find the same iptables the agent wrote with, or the
// legacy rules keep its ipsets busy.
func (s *scenario) nodenet(args ...string) (string, error) {
	return s.topo.Node.Exec(s.withAgentEnv(append([]string{nodenetBin}, args...))...)
}

// withAgentEnv prefixes argv with `env VAR=value...` when the scenario
// sets agentEnv.
func (s *scenario) withAgentEnv(argv []string) []string {
	if len(s.agentEnv) == 0 {
		return argv
	}
	return append(append([]string{"env"}, s.agentEnv...), argv...)
}

// dial makes n attempts from namespace ns.
func (s *scenario) dial(ns, proto, addr string, n int) ([]netns.Answer, error) {
	return netns.Dial(ns, proto, addr, n, 2*time.Second)
}

// waitServing polls until one attempt from ns to addr gets an answer: the
// agent has programmed the Service. It returns that answer.
func (s *scenario) waitServing(ns, proto, addr string) netns.Answer {
	s.t.Helper()
	var got netns.Answer
	netns.Eventually(s.t, 15*time.Second, fmt.Sprintf("%s %s reachable from %s", proto, addr, ns), func() error {
		ans, err := netns.Dial(ns, proto, addr, 1, time.Second)
		if err != nil {
			return err
		}
		if ans[0].Err != "" {
			return errors.New(ans[0].Line)
		}
		got = ans[0]
		return nil
	})
	return got
}

// mustAnswer makes n attempts and fails on any error; it returns the
// answers.
func (s *scenario) mustAnswer(ns, proto, addr string, n int) []netns.Answer {
	s.t.Helper()
	ans, err := s.dial(ns, proto, addr, n)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, a := range ans {
		if a.Err != "" {
			s.t.Fatalf("%s %s from %s: %s", proto, addr, ns, a.Line)
		}
	}
	return ans
}

// pods counts answers per answering pod.
func pods(ans []netns.Answer) map[string]int {
	m := map[string]int{}
	for _, a := range ans {
		m[a.Pod]++
	}
	return m
}

// rootNodenetLines returns the root namespace's iptables and ip6tables
// lines that mention NODENET: the suite must never add any.
func rootNodenetLines(t *testing.T) string {
	t.Helper()
	var keep []string
	for _, save := range []string{"iptables-save", "ip6tables-save"} {
		out, err := netns.Exec("", save)
		if err != nil {
			t.Fatalf("%s in root namespace: %v", save, err)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "NODENET") {
				keep = append(keep, save+": "+stripCounters(l))
			}
		}
	}
	return strings.Join(keep, "\n")
}

func checkRootUntouched(t *testing.T, before string) {
	if after := rootNodenetLines(t); after != before {
		t.Errorf("root namespace iptables changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

var web = service{Name: "web", Type: "NodePort", ClusterIP: webIP, Ports: tcpUDP(80, webNodePrt)}

// webScenario is the common case: pods pod-a, pod-b (endpoints of web) and
// pod-c (a client that is no endpoint), agent started with extra flags,
// web reachable.
func webScenario(t *testing.T, extra ...string) *scenario {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.addService(web, s.ep("pod-a"), s.ep("pod-b"))
	s.startAgent(extra...)
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	return s
}
