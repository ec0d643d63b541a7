package source

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// podYAML writes status too: the folder stands in for the kubelet, so
// the pod's IP and phase come from the manifest.
func podYAML(namespace, name, nodeName, ip string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %q
  labels: {app: %s}
  annotations: {note: kept}
spec:
  nodeName: %s
  containers:
  - name: app
    image: nginx
    ports: [{name: http, containerPort: 8080}]
status:
  phase: Running
  podIP: %s
  podIPs: [{ip: %s}]
`, name, namespace, name, nodeName, ip, ip)
}

func namespaceYAML(name, team string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels: {team: %s}\n", name, team)
}

func networkPolicyYAML(namespace, name, app string) string {
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: %s
  namespace: %q
spec:
  podSelector: {matchLabels: {app: %s}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: a}}}]
`, name, namespace, app)
}

func TestManifestsDeliverPodsNamespacesAndPolicies(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "policy.yaml"), docs(
		podYAML("", "local", "node-a", "10.0.0.1"),
		podYAML("prod", "remote", "node-b", "10.0.1.1"),
		namespaceYAML("prod", "a"),
		networkPolicyYAML("", "deny", "local"),
		serviceYAML("", "web", 80), // no Service handler: skipped silently
	))
	r := newRecorder()

	p := runManifests(t, dir, r.policyHandlers(), watchOnly)

	got := r.texts(0)
	wantAdds := []string{"add Pod default/local", "add Pod prod/remote", "add Namespace prod", "add NetworkPolicy default/deny"}
	wantSynced := []string{"synced Pod", "synced Namespace", "synced NetworkPolicy"}
	if len(got) != len(wantAdds)+len(wantSynced) || !containsAll(got, wantAdds) || !slices.Equal(got[len(wantAdds):], wantSynced) {
		t.Fatalf("initial events = %q, want adds %q then %q", got, wantAdds, wantSynced)
	}
	if reports := p.all(); len(reports) != 0 {
		t.Errorf("unexpected reports %v", reports)
	}

	// Written status and labels arrive as written (no informer transform).
	added, _ := r.last("add Pod prod/remote")
	pod := added.obj.(*v1.Pod)
	if pod.Status.PodIP != "10.0.1.1" || len(pod.Status.PodIPs) != 1 || pod.Status.Phase != v1.PodRunning || pod.Spec.NodeName != "node-b" || pod.Annotations["note"] != "kept" {
		t.Errorf("pod = %+v, want status, node and annotations as written", pod)
	}
	ns, _ := r.last("add Namespace prod")
	if got := ns.obj.(*v1.Namespace).Labels; len(got) != 1 || got["team"] != "a" {
		t.Errorf("namespace labels = %v, want exactly team=a", got)
	}
	np, _ := r.last("add NetworkPolicy default/deny")
	if got := np.obj.(*networkingv1.NetworkPolicy).Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["team"]; got != "a" {
		t.Errorf("policy peer selector team = %q, want a", got)
	}
}

func TestManifestsWatchPolicyKinds(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), docs(podYAML("", "web", "node-b", "10.0.1.2"), namespaceYAML("prod", "a"), networkPolicyYAML("", "allow", "web")))
	r := newRecorder()
	runManifests(t, dir, r.policyHandlers(), watchOnly)

	mark := r.count()
	writeAtomically(t, dir, "a.yaml", docs(podYAML("", "web", "node-b", "10.0.1.3"), namespaceYAML("prod", "b"), networkPolicyYAML("", "allow", "api")))
	r.waitFor(t, mark, eventTimeout, "update Pod default/web", "update Namespace prod", "update NetworkPolicy default/allow")
	update, _ := r.last("update Pod default/web")
	if oldIP, newIP := update.old.(*v1.Pod).Status.PodIP, update.obj.(*v1.Pod).Status.PodIP; oldIP != "10.0.1.2" || newIP != "10.0.1.3" {
		t.Errorf("pod IP %s -> %s, want 10.0.1.2 -> 10.0.1.3", oldIP, newIP)
	}

	mark = r.count()
	if err := os.Remove(filepath.Join(dir, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "delete Pod default/web", "delete Namespace prod", "delete NetworkPolicy default/allow")
}
