package source

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func TestStripPodKeepsOnlyWhatTheFirewallReads(t *testing.T) {
	full := pod("default", "web", "node-a", "10.0.0.1")
	full.ResourceVersion = "42"
	full.OwnerReferences = []metav1.OwnerReference{{Name: "web-rs"}}
	full.Spec.HostNetwork = true
	full.Spec.InitContainers = []v1.Container{{Name: "init"}}
	full.Status.PodIPs = append(full.Status.PodIPs, v1.PodIP{IP: "fd00::1"})
	full.Status.HostIP = "192.168.0.1"
	deleted := metav1.Unix(1700000000, 0)
	full.DeletionTimestamp = &deleted
	original := full.DeepCopy()

	got, err := stripPod(full)
	if err != nil {
		t.Fatal(err)
	}
	want := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: "web", UID: "uid-web", ResourceVersion: "42", Labels: map[string]string{"app": "web"},
			DeletionTimestamp: &deleted,
		},
		Spec: v1.PodSpec{
			NodeName:    "node-a",
			HostNetwork: true,
			Containers:  []v1.Container{{Name: "app", Ports: []v1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
		},
		Status: v1.PodStatus{Phase: v1.PodRunning, PodIP: "10.0.0.1", PodIPs: []v1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}}},
	}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("stripPod =\n%+v\nwant\n%+v", got, want)
	}
	if !equality.Semantic.DeepEqual(full, original) {
		t.Error("stripPod modified its input")
	}
	// Idempotent, as client-go asks of transforms.
	again, _ := stripPod(got)
	if !equality.Semantic.DeepEqual(again, want) {
		t.Errorf("stripPod twice = %+v, want %+v", again, want)
	}
}

func TestStripPodPassesOtherObjects(t *testing.T) {
	tombstone := cache.DeletedFinalStateUnknown{Key: "default/web", Obj: pod("default", "web", "node-a", "10.0.0.1")}
	got, err := stripPod(tombstone)
	if err != nil || !equality.Semantic.DeepEqual(got, tombstone) {
		t.Errorf("stripPod(tombstone) = %v, %v; want it unchanged", got, err)
	}
}
