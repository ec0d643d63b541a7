package ipvstest

import (
	"fmt"
	"sync"

	"github.com/nodenet/nodenet/ipvs"
)

// Rules is a fake ipvs.Rules: it keeps the applied spec (what the sets
// hold and the chains say), counts applies and refuses a prev that is
// not what it holds (the backend's view of the kernel gone wrong).
type Rules struct {
	mu      sync.Mutex
	Spec    *ipvs.RuleSpec
	Applies int
	// Kernel, when set, gets "rules" in its Ops at each apply, so tests
	// see the order of rule and IPVS changes.
	Kernel *Kernel
	fail   error
}

// FailNext makes the next Apply fail with err.
func (r *Rules) FailNext(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

func (r *Rules) Apply(spec, prev *ipvs.RuleSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.fail; err != nil {
		r.fail = nil
		return err
	}
	if prev != nil && !prev.Equal(r.Spec) {
		return fmt.Errorf("apply: prev is not what the kernel holds")
	}
	r.Spec = spec
	r.Applies++
	if r.Kernel != nil {
		r.Kernel.mu.Lock()
		r.Kernel.Ops = append(r.Kernel.Ops, "rules")
		r.Kernel.mu.Unlock()
	}
	return nil
}

func (r *Rules) Cleanup() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Spec = nil
	return nil
}

// Members returns the members of one set ("" kind unknown: none).
func (r *Rules) Members(kind ipvs.SetKind) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Spec == nil {
		return nil
	}
	return r.Spec.Sets[kind]
}
