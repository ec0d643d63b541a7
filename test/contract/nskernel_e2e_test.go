//go:build e2e

package contract

import (
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/test/netns"
)

// nsKernel is the agent's own exec Kernel (iptables.NewExecKernel) working
// in namespace ns. The exec kernel runs iptables in its caller's
// namespace, so every call is made on a thread switched into ns.
type nsKernel struct {
	ns  string
	fam v1.IPFamily
}

var _ iptables.Kernel = nsKernel{}

func (k nsKernel) do(fn func(iptables.Kernel) error) error {
	return netns.Within(k.ns, func() error {
		ker, err := iptables.NewExecKernel(k.fam)
		if err != nil {
			return err
		}
		return fn(ker)
	})
}

func (k nsKernel) Restore(payload []byte) error {
	return k.do(func(ker iptables.Kernel) error { return ker.Restore(payload) })
}

func (k nsKernel) ListRules(table, chain string) (rules []string, err error) {
	err = k.do(func(ker iptables.Kernel) (e error) { rules, e = ker.ListRules(table, chain); return e })
	return rules, err
}

func (k nsKernel) ListChains(table string) (chains []string, err error) {
	err = k.do(func(ker iptables.Kernel) (e error) { chains, e = ker.ListChains(table); return e })
	return chains, err
}

func (k nsKernel) DeleteRule(table, chain string, rulespec ...string) error {
	return k.do(func(ker iptables.Kernel) error { return ker.DeleteRule(table, chain, rulespec...) })
}

func (k nsKernel) Save(table string) (saved string, err error) {
	err = k.do(func(ker iptables.Kernel) (e error) { saved, e = ker.Save(table); return e })
	return saved, err
}
