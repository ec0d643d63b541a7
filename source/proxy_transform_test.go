package source

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/nodenet/nodenet/test/objects"
)

// bulkyMeta is what the API server and kubectl add that nodenet never
// reads, around what it does read.
func bulkyMeta(m *metav1.ObjectMeta) {
	m.UID, m.ResourceVersion, m.CreationTimestamp = "uid-1", "42", metav1.Unix(1700000000, 0)
	m.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{}}`)}}}
	m.OwnerReferences = []metav1.OwnerReference{{Kind: "Service", Name: "web"}}
	m.Annotations = map[string]string{
		v1.LastAppliedConfigAnnotation:        `{"apiVersion":"v1"}`,
		v1.EndpointsLastChangeTriggerTime:     "2026-12-04T20:00:00Z",
		v1.AnnotationTopologyMode:             "Auto",
		"example.com/kept-for-future-readers": "x",
	}
}

func wantStrippedMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	m.ManagedFields, m.OwnerReferences = nil, nil
	m.Annotations = map[string]string{
		v1.EndpointsLastChangeTriggerTime:     "2026-12-04T20:00:00Z",
		v1.AnnotationTopologyMode:             "Auto",
		"example.com/kept-for-future-readers": "x",
	}
	return m
}

func TestStripServiceKeepsSpecStatusAndWhatEventsName(t *testing.T) {
	full := objects.Service("default", "web", "10.96.0.10", func(s *v1.Service) {
		bulkyMeta(&s.ObjectMeta)
		s.Labels = map[string]string{"app": "web"}
		s.Spec.Type = v1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "192.0.2.1"}}
	})
	want := full.DeepCopy()
	want.ObjectMeta = wantStrippedMeta(want.ObjectMeta)
	checkTransform(t, stripService, full, full.DeepCopy(), want)
}

// checkTransform runs strip on full (a copy of which is original) and
// checks it gives want, leaves its input alone and is idempotent, as
// client-go asks of transforms.
func checkTransform(t *testing.T, strip cache.TransformFunc, full, original, want any) {
	t.Helper()
	got, err := strip(full)
	if err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("stripped =\n%+v\nwant\n%+v", got, want)
	}
	if !equality.Semantic.DeepEqual(full, original) {
		t.Error("the transform modified its input")
	}
	if again, _ := strip(got); !equality.Semantic.DeepEqual(again, want) {
		t.Errorf("stripped twice = %+v, want %+v", again, want)
	}
}

func TestStripEndpointSliceKeepsWhatTheProxyReads(t *testing.T) {
	ep := objects.Endpoint("10.0.0.1", "node-a", true, true, false)
	ep.Zone = ptr.To("zone-a")
	ep.Hints = &discovery.EndpointHints{ForZones: []discovery.ForZone{{Name: "zone-a"}}}
	bulky := ep
	bulky.TargetRef = &v1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web-1", UID: "pod-uid"}
	bulky.Hostname = ptr.To("web-1")
	bulky.DeprecatedTopology = map[string]string{"kubernetes.io/hostname": "node-a"}
	full := objects.EndpointSlice("default", "web-abc", "web", 8080, bulky)
	bulkyMeta(&full.ObjectMeta)
	want := objects.EndpointSlice("default", "web-abc", "web", 8080, ep)
	bulkyMeta(&want.ObjectMeta)
	want.ObjectMeta = wantStrippedMeta(want.ObjectMeta)
	checkTransform(t, stripEndpointSlice, full, full.DeepCopy(), want)
}

func TestProxyTransformsPassOtherObjects(t *testing.T) {
	tombstone := cache.DeletedFinalStateUnknown{Key: "default/web", Obj: objects.Service("default", "web", "10.96.0.10")}
	for name, strip := range map[string]cache.TransformFunc{"stripService": stripService, "stripEndpointSlice": stripEndpointSlice} {
		if got, err := strip(tombstone); err != nil || !equality.Semantic.DeepEqual(got, tombstone) {
			t.Errorf("%s(tombstone) = %v, %v; want it unchanged", name, got, err)
		}
	}
}

// The informers deliver stripped objects: the transforms are wired to
// their kinds.
func TestInformersStripServicesAndEndpointSlices(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, r.handlers())
	ctx := context.Background()
	svc := service("default", "web", 80, nil)
	bulkyMeta(&svc.ObjectMeta)
	slice := endpointSlice("default", "web-abc", "10.0.0.1", nil)
	bulkyMeta(&slice.ObjectMeta)
	slice.Endpoints[0].TargetRef = &v1.ObjectReference{Kind: "Pod", Name: "web-1"}

	mark := r.count()
	if _, err := client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "add Service default/web")
	r.waitFor(t, mark, eventTimeout, "add EndpointSlice default/web-abc")
	added, _ := r.last("add Service default/web")
	if s := added.obj.(*v1.Service); s.ManagedFields != nil || s.Annotations[v1.LastAppliedConfigAnnotation] != "" || s.UID != "uid-1" {
		t.Errorf("informer Service not stripped as stripService does: %+v", s.ObjectMeta)
	}
	added, _ = r.last("add EndpointSlice default/web-abc")
	if s := added.obj.(*discovery.EndpointSlice); s.ManagedFields != nil || s.Endpoints[0].TargetRef != nil ||
		s.Annotations[v1.EndpointsLastChangeTriggerTime] == "" {
		t.Errorf("informer EndpointSlice not stripped as stripEndpointSlice does: %+v", s)
	}
}
