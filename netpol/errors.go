package netpol

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"
)

// PolicyError reports an invalid NetworkPolicy. The policy contributes no
// allow rule, but the pods it selects stay isolated in its directions (fail
// closed): a typo in a policy must never open traffic it meant to restrict.
type PolicyError struct {
	Policy types.NamespacedName
	Err    error
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("networkpolicy %s: %v", e.Policy, e.Err)
}

func (e *PolicyError) Unwrap() error { return e.Err }
