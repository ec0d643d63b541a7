package controller

import (
	"maps"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/netpol"
)

// podEvents implements proxy.PodHandler.
type podEvents struct{ s *Store }

func (e podEvents) OnPodAdd(pod *v1.Pod)       { e.s.setPod(pod) }
func (e podEvents) OnPodUpdate(_, pod *v1.Pod) { e.s.setPod(pod) }
func (e podEvents) OnPodDelete(pod *v1.Pod)    { e.s.deletePod(podKey(pod)) }
func (e podEvents) OnPodsSynced()              { e.s.markSynced(func(k *syncedKinds) { k.pods = true }) }

func podKey(pod *v1.Pod) types.NamespacedName {
	return types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
}

// setPod records pod, or forgets it once it has finished: a Succeeded or
// Failed pod's IP may already belong to a new pod, and must not keep
// matching the old one's selectors. A pod without IPs yet is kept (it has
// no address to allow, but it exists).
func (s *Store) setPod(pod *v1.Pod) {
	if finished(pod) {
		s.deletePod(podKey(pod))
		return
	}
	next := netpol.PodFromAPI(pod)
	s.update(func() bool {
		prev, known := s.pods[next.Key()]
		if known && samePod(&prev, &next) {
			return false
		}
		s.pods[next.Key()] = next
		return true
	})
}

func (s *Store) deletePod(key types.NamespacedName) {
	s.update(func() bool {
		if _, known := s.pods[key]; !known {
			return false
		}
		delete(s.pods, key)
		return true
	})
}

func finished(pod *v1.Pod) bool {
	return pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed
}

// samePod compares every field the model reads; anything else a pod
// update carries (conditions, container statuses) is churn.
func samePod(a, b *netpol.Pod) bool {
	return a.NodeName == b.NodeName && a.HostNetwork == b.HostNetwork &&
		slices.Equal(a.IPs, b.IPs) && maps.Equal(a.Labels, b.Labels) &&
		slices.Equal(a.Ports, b.Ports)
}
