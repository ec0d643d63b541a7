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

	t.Run("PodToPodAcrossNodes", func(t *testing.T) {
		// --pod-routes: each node routes the other's pod CIDR via its
		// InternalIP, so pods reach each other directly.
		expectAnswer(t, podA.Name, net.JoinHostPort(podB.IP, strconv.Itoa(echoPort)), "pod-b")
		expectAnswer(t, podB.Name, net.JoinHostPort(podA.IP, strconv.Itoa(echoPort)), "pod-a")
	})
	t.Run("ClusterIPToPodOnOtherNode", func(t *testing.T) {
		svc := c.createService(t, "web", "to-b", nil)
		c.writeEndpoints(t, svc, endpoint{podB, b})
		expectAnswer(t, podA.Name, net.JoinHostPort(svc.Spec.ClusterIP, "80"), "pod-b")
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

var _ = context.Background
var _ = metav1.Now
