package controller

import (
	"errors"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/netpol"
)

// ReasonInvalidNetworkPolicy is the reason of the Warning Event recorded on
// an invalid policy.
const ReasonInvalidNetworkPolicy = "InvalidNetworkPolicy"

// invalidMessage says what nodenet does about an invalid policy.
const invalidMessage = "Invalid NetworkPolicy: it allows nothing and still isolates the pods it selects (fails closed); other policies apply"

// reportedProblem is what was last reported about one policy. generation
// moves with every spec change (the API server bumps it; manifests leave
// it 0), not with label or annotation edits.
type reportedProblem struct {
	generation int64
	message    string
}

// reportInvalid reports each invalid policy once per change of its spec
// (or of its error): every sync recomputes every policy, and a line per
// sync would bury the log. A policy that is fixed, or deleted, and breaks
// again is reported again.
func (c *Controller) reportInvalid(policies []*networkingv1.NetworkPolicy, errs []error) {
	byName := make(map[types.NamespacedName]*networkingv1.NetworkPolicy, len(policies))
	for _, np := range policies {
		byName[types.NamespacedName{Namespace: np.Namespace, Name: np.Name}] = np
	}
	current := make(map[types.NamespacedName]reportedProblem, len(errs))
	for _, err := range errs {
		var perr *netpol.PolicyError
		if !errors.As(err, &perr) {
			klog.ErrorS(err, "Unexpected NetworkPolicy model error")
			continue
		}
		np := byName[perr.Policy]
		problem := reportedProblem{message: perr.Err.Error()}
		if np != nil {
			problem.generation = np.Generation
		}
		current[perr.Policy] = problem
		if c.reported[perr.Policy] != problem {
			c.report(perr, np)
		}
	}
	c.reported = current
	invalidPolicies.Set(float64(len(current)))
}

func (c *Controller) report(perr *netpol.PolicyError, np *networkingv1.NetworkPolicy) {
	klog.ErrorS(perr.Err, invalidMessage, "networkPolicy", perr.Policy.String())
	if c.cfg.Events == nil || np == nil {
		return
	}
	c.cfg.Events.Eventf(np, v1.EventTypeWarning, ReasonInvalidNetworkPolicy, "%s: %s", invalidMessage, perr.Err.Error())
}
