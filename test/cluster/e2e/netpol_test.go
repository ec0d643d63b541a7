//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/test/netns"
)

// testNetworkPolicy: a policy created through the API isolates the pods
// it selects on both nodes, lets in only the peers it names (a pod on the
// other node), and is lifted when deleted.
func testNetworkPolicy(t *testing.T, c *cluster, a, b *node, podA, podB, granted *netns.Pod) {
	ctx := context.Background()
	policies := c.admin.NetworkingV1().NetworkPolicies("web")
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "only-granted", Namespace: "web"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"access": "granted"}}}}}},
		},
	}
	if _, err := policies.Create(ctx, np, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectBlocked(t, podA, podB)                                // enforced on node b
	expectBlocked(t, podB, podA)                                // enforced on node a
	expectAnswer(t, granted.Name, echoAddr(podB), podB.PodName) // a peer on the other node
	// What an SRE on each node would ask, against what the packets did.
	expectTrace(t, b, podA, podB, false)
	expectTrace(t, b, granted, podB, true)
	expectTrace(t, a, podB, podA, false)
	if err := policies.Delete(ctx, np.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expectAnswer(t, podA.Name, echoAddr(podB), podB.PodName)
	expectAnswer(t, podB.Name, echoAddr(podA), podA.PodName)
	expectTrace(t, b, podA, podB, true)
}

func echoAddr(p *netns.Pod) string { return net.JoinHostPort(p.IP, strconv.Itoa(echoPort)) }

// expectBlocked polls until a TCP dial from one pod to another fails.
func expectBlocked(t *testing.T, from, to *netns.Pod) {
	t.Helper()
	netns.Eventually(t, 20*time.Second, fmt.Sprintf("%s blocked from %s", to.PodName, from.PodName), func() error {
		got, _ := netns.Dial(from.Name, "tcp", echoAddr(to), 1, time.Second)
		if len(got) == 1 && got[0].Err == "" {
			return fmt.Errorf("still answers: %s", got[0].Line)
		}
		return nil
	})
}
