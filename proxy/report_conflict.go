package proxy

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/component-base/metrics"
)

// lostFrontends is what one Service lost to older ones: what to report
// (NodePorts under NodePortConflict, addresses under FrontendConflict)
// and how many of each kind, for the conflicts metric.
type lostFrontends struct {
	nodePorts, addrs []string
	count            map[FrontendKind]int
}

// frontendWords name a kind in reports as the Service's spec does.
var frontendWords = map[FrontendKind]string{
	ClusterIPFrontend:    "clusterIP",
	ExternalIPFrontend:   "externalIP",
	LoadBalancerFrontend: "load-balancer IP",
	NodePortFrontend:     "nodePort",
}

func (l *lostFrontends) add(fe Frontend, owner types.NamespacedName) {
	msg := fmt.Sprintf("%s %s is used by the older Service %s", frontendWords[fe.Kind], keyOf(fe), owner)
	if fe.Kind == NodePortFrontend {
		l.nodePorts = append(l.nodePorts, msg)
	} else {
		l.addrs = append(l.addrs, msg)
	}
	if l.count == nil {
		l.count = map[FrontendKind]int{}
	}
	l.count[fe.Kind]++
}

// errors returns, by reason, the lost frontends folded into one error
// each (nil: none lost).
func (l lostFrontends) errors() map[string]error {
	return map[string]error{
		ReasonNodePortConflict: conflictError(l.nodePorts),
		ReasonFrontendConflict: conflictError(l.addrs),
	}
}

// conflictError folds the lost frontends of one Service into one error, in
// a fixed order so the same conflict always reads the same (and is
// reported once); nil when nothing was lost.
func conflictError(lost []string) error {
	if len(lost) == 0 {
		return nil
	}
	sort.Strings(lost)
	return errors.New(strings.Join(lost, "; "))
}

// frontendConflictsGauge counts the frontends left out right now, by kind.
var frontendConflictsGauge = metrics.NewGaugeVec(&metrics.GaugeOpts{
	Subsystem:      "nodenet",
	Name:           "service_frontend_conflicts",
	Help:           "Frontends (NodePort, or cluster, external or load-balancer IP with port and protocol) a Service claims but does not get because an older Service owns them, by kind",
	StabilityLevel: metrics.ALPHA,
}, []string{"kind"})

// metricKinds label the gauge.
var metricKinds = map[FrontendKind]string{
	ClusterIPFrontend:    "ClusterIP",
	ExternalIPFrontend:   "ExternalIP",
	LoadBalancerFrontend: "LoadBalancerIP",
	NodePortFrontend:     "NodePort",
}

// frontendConflicts is what each Service lost, by kind: the gauge moves by
// the difference when a Service's losses change, so no update walks every
// Service.
type frontendConflicts map[types.NamespacedName]map[FrontendKind]int

func (c frontendConflicts) set(name types.NamespacedName, lost map[FrontendKind]int) {
	for kind, n := range c[name] {
		frontendConflictsGauge.WithLabelValues(metricKinds[kind]).Add(-float64(n))
	}
	for kind, n := range lost {
		frontendConflictsGauge.WithLabelValues(metricKinds[kind]).Add(float64(n))
	}
	if len(lost) == 0 {
		delete(c, name)
		return
	}
	c[name] = lost
}
