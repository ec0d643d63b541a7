package source

import (
	"context"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/nodenet/nodenet/test/objects"
)

func pod(namespace, name, nodeName, ip string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: name, UID: types.UID("uid-" + name),
			Labels:        map[string]string{"app": name},
			Annotations:   map[string]string{"big": "annotation"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}},
		},
		Spec: v1.PodSpec{
			NodeName:   nodeName,
			Containers: []v1.Container{{Name: "app", Image: "nginx", Ports: []v1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
			Volumes:    []v1.Volume{{Name: "data"}},
		},
		Status: v1.PodStatus{
			Phase: v1.PodRunning, PodIP: ip, PodIPs: []v1.PodIP{{IP: ip}},
			Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}},
		},
	}
}

func networkPolicy(namespace, name string, app string) *networkingv1.NetworkPolicy {
	return objects.Policy(namespace, name, objects.Selector("app="+app), objects.Ingress)
}

func TestInformersDeliverEveryPodNamespaceAndPolicy(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, r.policyHandlers(),
		pod("default", "local", "node-a", "10.0.0.1"),
		pod("default", "remote", "node-b", "10.0.1.1"),
		objects.Namespace("default", map[string]string{"team": "a"}),
		networkPolicy("default", "deny", "local"),
	)

	got := r.texts(0)
	want := []string{"add Pod default/local", "add Pod default/remote", "add Namespace default", "add NetworkPolicy default/deny"}
	if len(got) != len(want)+3 || !containsAll(got, want) {
		t.Fatalf("initial events = %q, want %q and three synced", got, want)
	}
	// The firewall's kinds do not wait for each other: each one's Synced
	// comes once, after its own objects.
	for _, kind := range []string{"Pod", "Namespace", "NetworkPolicy"} {
		synced := slices.Index(got, "synced "+kind)
		if synced < 0 || r.countOf("synced "+kind) != 1 {
			t.Fatalf("initial events = %q, want synced %s once", got, kind)
		}
		for _, text := range got[synced:] {
			if strings.HasPrefix(text, "add "+kind+" ") {
				t.Errorf("initial events = %q: %q after synced %s", got, text, kind)
			}
		}
	}
	// Every pod and namespace, unfiltered: remote pods are policy peers.
	for _, action := range client.Actions() {
		if list, ok := action.(k8stesting.ListAction); ok {
			restrictions := list.GetListRestrictions()
			if !restrictions.Labels.Empty() || !restrictions.Fields.Empty() {
				t.Errorf("list %s with selectors %v: want every object", action.GetResource().Resource, restrictions)
			}
		}
	}
	added, _ := r.last("add Pod default/remote")
	if p := added.obj.(*v1.Pod); p.Annotations != nil || p.ManagedFields != nil || p.Spec.Volumes != nil || p.Status.PodIP != "10.0.1.1" {
		t.Errorf("informer pod not stripped as stripPod does: %+v", p)
	}
}

// policyKindCase drives one kind through create, update and delete.
type policyKindCase struct {
	kind, key              string
	create, update, remove func(context.Context, *fake.Clientset) error
}

func policyKindCases() []policyKindCase {
	return []policyKindCase{
		{
			kind: "Pod", key: "default/web",
			create: func(ctx context.Context, c *fake.Clientset) error {
				_, err := c.CoreV1().Pods("default").Create(ctx, pod("default", "web", "node-b", "10.0.1.2"), metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *fake.Clientset) error {
				_, err := c.CoreV1().Pods("default").Update(ctx, pod("default", "web", "node-b", "10.0.1.3"), metav1.UpdateOptions{})
				return err
			},
			remove: func(ctx context.Context, c *fake.Clientset) error {
				return c.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{})
			},
		},
		{
			kind: "Namespace", key: "prod",
			create: func(ctx context.Context, c *fake.Clientset) error {
				_, err := c.CoreV1().Namespaces().Create(ctx, objects.Namespace("prod", nil), metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *fake.Clientset) error {
				_, err := c.CoreV1().Namespaces().Update(ctx, objects.Namespace("prod", map[string]string{"env": "prod"}), metav1.UpdateOptions{})
				return err
			},
			remove: func(ctx context.Context, c *fake.Clientset) error {
				return c.CoreV1().Namespaces().Delete(ctx, "prod", metav1.DeleteOptions{})
			},
		},
		{
			kind: "NetworkPolicy", key: "default/allow",
			create: func(ctx context.Context, c *fake.Clientset) error {
				_, err := c.NetworkingV1().NetworkPolicies("default").Create(ctx, networkPolicy("default", "allow", "web"), metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *fake.Clientset) error {
				_, err := c.NetworkingV1().NetworkPolicies("default").Update(ctx, networkPolicy("default", "allow", "api"), metav1.UpdateOptions{})
				return err
			},
			remove: func(ctx context.Context, c *fake.Clientset) error {
				return c.NetworkingV1().NetworkPolicies("default").Delete(ctx, "allow", metav1.DeleteOptions{})
			},
		},
	}
}

func TestInformersDeliverPolicyKindChanges(t *testing.T) {
	for _, tc := range policyKindCases() {
		t.Run(tc.kind, func(t *testing.T) {
			r := newRecorder()
			client := startInformers(t, r.policyHandlers())
			ctx := context.Background()
			for _, step := range []struct {
				op string
				do func(context.Context, *fake.Clientset) error
			}{{"add", tc.create}, {"update", tc.update}, {"delete", tc.remove}} {
				mark := r.count()
				if err := step.do(ctx, client); err != nil {
					t.Fatalf("%s: %v", step.op, err)
				}
				r.waitFor(t, mark, eventTimeout, step.op+" "+tc.kind+" "+tc.key)
			}
			if n := r.countOf("synced " + tc.kind); n != 1 {
				t.Errorf("synced %s called %d times, want once", tc.kind, n)
			}
		})
	}
}

// The update carries the new state, e.g. a pod's new IP.
func TestInformersDeliverPodUpdateWithNewIP(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, Handlers{Pods: r}, pod("default", "web", "node-a", "10.0.0.1"))

	mark := r.count()
	if _, err := client.CoreV1().Pods("default").Update(context.Background(), pod("default", "web", "node-a", "10.0.0.9"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "update Pod default/web")
	update, _ := r.last("update Pod default/web")
	if oldIP, newIP := update.old.(*v1.Pod).Status.PodIP, update.obj.(*v1.Pod).Status.PodIP; oldIP != "10.0.0.1" || newIP != "10.0.0.9" {
		t.Errorf("update IPs old=%s new=%s, want 10.0.0.1 -> 10.0.0.9", oldIP, newIP)
	}
}
