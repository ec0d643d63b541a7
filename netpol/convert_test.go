package netpol

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodFromAPI(t *testing.T) {
	apiPod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "a", Labels: map[string]string{"app": "a"}},
		Spec: v1.PodSpec{
			NodeName: "node-a",
			Containers: []v1.Container{{Ports: []v1.ContainerPort{
				{Name: "http", ContainerPort: 8080},
				{ContainerPort: 9999}, // unnamed: policies can use the number directly
				{Name: "assoc", ContainerPort: 9000, Protocol: v1.ProtocolSCTP},
			}}},
		},
		Status: v1.PodStatus{PodIP: "10.1.0.10", PodIPs: []v1.PodIP{{IP: "10.1.0.10"}, {IP: "fd00::10"}, {IP: "junk"}}},
	}
	want := Pod{
		Namespace: "x", Name: "a", NodeName: "node-a",
		IPs:    addrs("10.1.0.10", "fd00::10"),
		Labels: map[string]string{"app": "a"},
		Ports:  []NamedPort{{"http", 8080, v1.ProtocolTCP}, {"assoc", 9000, v1.ProtocolSCTP}},
	}
	if got := PodFromAPI(apiPod); !reflect.DeepEqual(got, want) {
		t.Errorf("PodFromAPI = %+v\nwant %+v", got, want)
	}

	apiPod.Status.PodIPs = nil
	apiPod.Spec.HostNetwork = true
	got := PodFromAPI(apiPod)
	if !got.HostNetwork || !reflect.DeepEqual(got.IPs, addrs("10.1.0.10")) {
		t.Errorf("fallback to status.podIP / hostNetwork: got %+v", got)
	}
}

func TestNamespaceFromAPI(t *testing.T) {
	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"team": "x"}}}
	if got := NamespaceFromAPI(ns); got.Name != "x" || got.Labels["team"] != "x" {
		t.Errorf("NamespaceFromAPI = %+v", got)
	}
}
