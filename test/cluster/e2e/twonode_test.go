//go:build e2e

package clustere2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/test/netns"
)

// TestTwoNodes: two nodes on one underlay, each running nodenet with the
// deploy manifest's identity; everything they learn comes from the API
// server. Real TCP between pods on different nodes, through a ClusterIP,
// a NodePort and externalTrafficPolicy Local.
func TestTwoNodes(t *testing.T) {
	c := newCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	c.ensureNamespace(t, "web", nil)
	podA := a.addPod(t, "web", "pod-a", map[string]string{"app": "web"})
	podB := b.addPod(t, "web", "pod-b", map[string]string{"app": "web"})
	granted := a.addPod(t, "web", "pod-a2", map[string]string{"access": "granted"})

	t.Run("PodToPodAcrossNodes", func(t *testing.T) {
		// --pod-routes: each node routes the other's pod CIDR via its
		// InternalIP, so pods reach each other directly.
		// No masquerade inside the pod network (--cluster-cidr): the
		// other pod sees the real source, which NetworkPolicy peers
		// are matched by.
		for _, pair := range [][2]*netns.Pod{{podA, podB}, {podB, podA}} {
			from, to := pair[0], pair[1]
			got := expectAnswer(t, from.Name, echoAddr(to), to.PodName)
			if got[0].Source != from.IP {
				t.Errorf("%s saw source %s from %s, want its pod IP %s", to.PodName, got[0].Source, from.PodName, from.IP)
			}
		}
	})
	t.Run("ClusterIPToPodOnOtherNode", func(t *testing.T) {
		svc := c.createService(t, "web", "to-b", nil)
		c.writeEndpoints(t, svc, endpoint{podB, b})
		expectAnswer(t, podA.Name, net.JoinHostPort(svc.Spec.ClusterIP, "80"), "pod-b")
		expectDump(t, a, "web/to-b", podB.IP)
	})
	t.Run("NodePortOnBToPodOnA", func(t *testing.T) {
		svc := c.createService(t, "web", "np-to-a", func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort })
		c.writeEndpoints(t, svc, endpoint{podA, a})
		expectAnswer(t, c.client.Name, net.JoinHostPort(b.ip, strconv.Itoa(int(svc.Spec.Ports[0].NodePort))), "pod-a")
	})
	t.Run("ExternalTrafficPolicyLocal", func(t *testing.T) {
		svc := c.createService(t, "web", "local-on-a", func(s *v1.Service) {
			s.Spec.Type = v1.ServiceTypeLoadBalancer
			s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		})
		c.writeEndpoints(t, svc, endpoint{podA, a})
		hc := svc.Spec.HealthCheckNodePort
		if hc == 0 {
			t.Fatal("the API server allocated no health-check node port")
		}
		expectHealthCheck(t, a, hc, http.StatusOK, 1)
		expectHealthCheck(t, b, hc, http.StatusServiceUnavailable, 0)
		nodePort := strconv.Itoa(int(svc.Spec.Ports[0].NodePort))
		// The client's address is kept (no masquerade) on the node with
		// the endpoint...
		answers := expectAnswer(t, c.client.Name, net.JoinHostPort(a.ip, nodePort), "pod-a")
		if src := answers[0].Source; src != c.clientIP {
			t.Errorf("pod-a saw source %s, want the client's address (eTP Local keeps it)", src)
		}
		// ...and the node without one does not forward.
		got, _ := netns.Dial(c.client.Name, "tcp", net.JoinHostPort(b.ip, nodePort), 1, time.Second)
		if len(got) == 1 && got[0].Err == "" {
			t.Errorf("node b answered NodePort %s of an eTP Local Service without local endpoints: %s", nodePort, got[0].Line)
		}
	})
	t.Run("NetworkPolicy", func(t *testing.T) { testNetworkPolicy(t, c, a, b, podA, podB, granted) })
	t.Run("WarningEvents", func(t *testing.T) { testWarningEvents(t, c) })
	t.Run("PodRoutesFollowNodes", func(t *testing.T) { testPodRoutesFollowNodes(t, c) })
}

// expectAnswer polls one TCP dial from namespace ns to addr until pod
// answers, and returns that answer.
func expectAnswer(t *testing.T, ns, addr, pod string) []netns.Answer {
	t.Helper()
	var answers []netns.Answer
	netns.Eventually(t, 20*time.Second, fmt.Sprintf("%s answering %s from %s", pod, addr, ns), func() error {
		var err error
		answers, err = netns.Dial(ns, "tcp", addr, 1, time.Second)
		if err != nil {
			return err
		}
		if answers[0].Pod != pod {
			return fmt.Errorf("answer %q", answers[0].Line)
		}
		return nil
	})
	return answers
}

// expectHealthCheck polls the health-check node port on nd until it
// answers code with localEndpoints == want, as kube-proxy's does.
func expectHealthCheck(t *testing.T, nd *node, port int32, code, want int) {
	t.Helper()
	url := fmt.Sprintf("http://%s:%d/", nd.ip, port)
	netns.Eventually(t, 20*time.Second, "health check "+url, func() error {
		got, body, err := httpGet(url)
		if err != nil {
			return err
		}
		var status struct {
			LocalEndpoints int `json:"localEndpoints"`
		}
		if err := json.Unmarshal([]byte(body), &status); err != nil {
			return fmt.Errorf("%d %q: %w", got, body, err)
		}
		if got != code || status.LocalEndpoints != want {
			return fmt.Errorf("%d %s, want %d with localEndpoints %d", got, body, code, want)
		}
		return nil
	})
}

// testPodRoutesFollowNodes: a Node that joins gets a route to its pod
// CIDR on every node, removed when the Node is deleted.
func testPodRoutesFollowNodes(t *testing.T, c *cluster) {
	ctx := context.Background()
	via := c.net.Addr(50)
	extra := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: c.net.Prefix + "-z"},
		Spec:       v1.NodeSpec{PodCIDRs: []string{"10.244.9.0/24"}},
		Status:     v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: via}}},
	}
	if _, err := c.admin.CoreV1().Nodes().Create(ctx, extra, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "10.244.9.0/24 via " + via
	for _, nd := range c.nodes {
		netns.Eventually(t, 10*time.Second, nd.name+" routing the new Node's pods", func() error {
			if routes := nodenetRoutes(t, nd); !strings.Contains(routes, want) {
				return fmt.Errorf("routes %q lack %q", routes, want)
			}
			return nil
		})
	}
	if err := c.admin.CoreV1().Nodes().Delete(ctx, extra.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, nd := range c.nodes {
		netns.Eventually(t, 10*time.Second, nd.name+" dropping the deleted Node's route", func() error {
			if routes := nodenetRoutes(t, nd); strings.Contains(routes, "10.244.9.0/24") {
				return fmt.Errorf("routes still %q", routes)
			}
			return nil
		})
	}
}

// nodenetRoutes lists the routes with nodenet's protocol (podroutes.Protocol).
func nodenetRoutes(t *testing.T, nd *node) string {
	return nd.ns.IP(t, "route", "show", "proto", "110")
}
