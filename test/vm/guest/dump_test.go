//go:build vmguest

package guest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// dumpIPVS is the part of `nodenet dump ipvs -o json` the test reads.
type dumpIPVS struct {
	VirtualServers []struct {
		Address, Protocol, Service, Frontend string
		RealServers                          []struct {
			Address                    string
			Weight                     int
			ActiveConns, InactiveConns int
		}
	}
}

// TestDumpIPVSCountsHeldConnections: with TCP connections held through a
// ClusterIP, `nodenet dump ipvs` shows each real server's active
// connections (as many as its pod holds) under the Service's name and
// frontend kind, read from the kernel and labelled from /dump.
func TestDumpIPVSCountsHeldConnections(t *testing.T) {
	n := newIPVSNode(t, "pod-a", "pod-b")
	for _, p := range n.topo.Pods {
		netns.Start(t, p.Name, "line echo", netns.EchoBin, "serve", "-name", p.PodName, "-lines", ":9090").LogOnFailure(t)
	}
	held := n.service("held", v1.ProtocolTCP, proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.30")}, NodePort: 30090},
		"pod-a", "pod-b")
	for i := range n.table.Endpoints[held] {
		n.table.Endpoints[held][i].Port = 9090
	}
	n.sync(true)
	server := n.serveDump(t)

	perPod := map[string]int{}
	for range 3 {
		conn := netns.Start(t, n.topo.Client.Name, "held connection", netns.EchoBin, "hold", "-addr", "10.96.0.30:80")
		conn.LogOnFailure(t)
		exchanging(t, conn)
		perPod[strings.Fields(conn.Output())[0]]++
	}
	out := n.topo.Node.Run(t, os.Getenv("NODENET_BIN"), "dump", "ipvs", "--ip-family", "IPv4", "-o", "json", "--server", server)
	var view dumpIPVS
	if err := json.Unmarshal([]byte(out), &view); err != nil {
		t.Fatalf("nodenet dump ipvs -o json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, vs := range view.VirtualServers {
		line := fmt.Sprintf("%s %s", vs.Service, vs.Frontend)
		for _, rs := range vs.RealServers {
			line += fmt.Sprintf(" %s:w%d,a%d", rs.Address, rs.Weight, rs.ActiveConns)
		}
		got[vs.Protocol+" "+vs.Address] = line
	}
	a, b := n.topo.Pod(t, "pod-a").IP+":9090", n.topo.Pod(t, "pod-b").IP+":9090"
	want := map[string]string{
		"TCP 10.96.0.30:80":                 fmt.Sprintf("ns/held ClusterIP %s:w1,a%d %s:w1,a%d", a, perPod["pod-a"], b, perPod["pod-b"]),
		"TCP " + netns.NodeExtIP + ":30090": fmt.Sprintf("ns/held NodePort %s:w1,a0 %s:w1,a0", a, b),
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("dump ipvs %s: %q, want %q (held connections by pod: %v)\n%s", k, got[k], w, perPod, out)
		}
	}
	table := n.topo.Node.Run(t, os.Getenv("NODENET_BIN"), "dump", "ipvs", "--ip-family", "IPv4", "--server", server)
	if !strings.Contains(table, "TCP 10.96.0.30:80  rr  ns/held  ClusterIP\n") {
		t.Errorf("dump ipvs table lacks the labelled ClusterIP:\n%s", table)
	}
}

// serveDump serves the table's /dump, as the agent's metrics server does,
// on a loopback port of the node's namespace, and returns its address.
func (n *ipvsNode) serveDump(t *testing.T) string {
	var ln net.Listener
	var err error
	inNS(t, n.topo.Node.Name, func() { ln, err = net.Listen("tcp", "127.0.0.1:0") })
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != serve.DumpPath {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(serve.NewDumpView(n.table))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}
