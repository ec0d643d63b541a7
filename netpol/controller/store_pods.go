package controller

import (
	"maps"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/netpol"
)

// podEvents implements source.PodHandler.
type podEvents struct{ s *Store }

func (e podEvents) OnPodAdd(pod *v1.Pod)       { e.s.setPod(pod) }
func (e podEvents) OnPodUpdate(_, pod *v1.Pod) { e.s.setPod(pod) }
func (e podEvents) OnPodDelete(pod *v1.Pod)    { e.s.deletePod(podKey(pod)) }
func (e podEvents) OnPodsSynced()              { e.s.markSynced(func(k *syncedKinds) { k.pods = true }) }

func podKey(pod *v1.Pod) types.NamespacedName {
	return types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
}

// podRecord is a stored pod with what the Store needs to settle an IP that
// two pods claim (see ipOwners).
type podRecord struct {
	pod netpol.Pod
	// terminating: the pod has a deletionTimestamp. Its sandbox may already
	// be gone and its IP handed to a new pod, while its status still lists
	// the IP until kubelet reports it finished.
	terminating bool
	// claimed orders the records by when their IPs last changed (a value
	// of the store's generation): an IP is handed out again only once free,
	// so of two live pods claiming one, the later claim is the true one.
	claimed uint64
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
	next := podRecord{pod: netpol.PodFromAPI(pod), terminating: pod.DeletionTimestamp != nil}
	s.update(func() bool { return s.putPod(next) })
}

// putPod stores next unless it changes nothing; called under s.mu.
func (s *Store) putPod(next podRecord) bool {
	key := next.pod.Key()
	prev, known := s.pods[key]
	if known && samePod(&prev.pod, &next.pod) && prev.terminating == next.terminating {
		return false
	}
	next.claimed = s.generation + 1 // this change's generation
	if known {
		if slices.Equal(prev.pod.IPs, next.pod.IPs) {
			next.claimed = prev.claimed
		}
		s.holders.remove(key, &prev.pod)
	}
	s.holders.add(key, &next.pod)
	s.pods[key] = next
	return true
}

func (s *Store) deletePod(key types.NamespacedName) {
	s.update(func() bool {
		prev, known := s.pods[key]
		if !known {
			return false
		}
		s.holders.remove(key, &prev.pod)
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
