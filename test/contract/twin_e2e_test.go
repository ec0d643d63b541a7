//go:build e2e

package contract

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/iptables/iptablestest"
)

// twin is the Kernel the backend talks to in these tests: every call goes
// to the namespace's kernel and to the fake, and every disagreement (an
// error on one side only, a different listing) fails the test. The
// answers given back are the kernel's, so the backend acts on the truth.
type twin struct {
	t      testing.TB
	kernel iptables.Kernel
	fake   *iptablestest.FakeKernel
}

var _ iptables.Kernel = (*twin)(nil)

// newTwin pairs the kernel of a fresh namespace with a fresh fake.
func newTwin(t *testing.T, fam v1.IPFamily) *twin { return twinIn(t, newNS(t, "ipt").Name, fam) }

// twinIn pairs fam's kernel of namespace ns with a fresh fake.
func twinIn(t *testing.T, ns string, fam v1.IPFamily) *twin {
	return &twin{t: t, kernel: nsKernel{ns: ns, fam: fam}, fake: iptablestest.NewFakeKernel(fam)}
}

func (w *twin) Restore(payload []byte) error {
	errK, errF := w.kernel.Restore(payload), w.fake.Restore(payload)
	w.agree("restore", errK, errF, string(payload))
	return errK
}

func (w *twin) ListRules(table, chain string) ([]string, error) {
	k, errK := w.kernel.ListRules(table, chain)
	f, errF := w.fake.ListRules(table, chain)
	w.agree("list rules of "+table+" "+chain, errK, errF, "")
	w.sameLines("iptables -t "+table+" -S "+chain, k, f)
	return k, errK
}

func (w *twin) ListChains(table string) ([]string, error) {
	k, errK := w.kernel.ListChains(table)
	f, errF := w.fake.ListChains(table)
	w.agree("list chains of "+table, errK, errF, "")
	w.sameLines("chains of "+table, k, f)
	return k, errK
}

func (w *twin) DeleteRule(table, chain string, rulespec ...string) error {
	errK, errF := w.kernel.DeleteRule(table, chain, rulespec...), w.fake.DeleteRule(table, chain, rulespec...)
	w.agree(fmt.Sprintf("delete %s %s %q", table, chain, rulespec), errK, errF, "")
	return errK
}

func (w *twin) Save(table string) (string, error) {
	k, errK := w.kernel.Save(table)
	f, errF := w.fake.Save(table)
	w.agree("save "+table, errK, errF, "")
	w.sameLines("iptables-save -t "+table, saveLines(k), saveLines(f))
	return k, errK
}

// agree fails the test when only one side failed.
func (w *twin) agree(what string, errK, errF error, payload string) {
	w.t.Helper()
	if (errK == nil) != (errF == nil) {
		w.t.Errorf("%s: the kernel says %v, the fake says %v\n%s", what, errK, errF, payload)
	}
}

// sameState fails the test unless both tables save alike in the kernel
// and in the fake; step names the moment, for the message.
func (w *twin) sameState(step string) {
	w.t.Helper()
	for _, table := range []string{"nat", "filter"} {
		k, err := w.kernel.Save(table)
		if err != nil {
			w.t.Fatalf("%s: %v", step, err)
		}
		f, _ := w.fake.Save(table)
		w.sameLines(step+": iptables-save -t "+table, saveLines(k), saveLines(f))
	}
}

var counters = regexp.MustCompile(`\[\d+:\d+\]`)

// saveLines normalises iptables-save output: no timestamped comments,
// zero counters. Nothing else is rewritten: rule text, rule order and
// chain order must match as the kernel prints them.
func saveLines(saved string) []string {
	var out []string
	for _, l := range strings.Split(saved, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, counters.ReplaceAllString(l, "[0:0]"))
		}
	}
	return out
}

func (w *twin) sameLines(what string, kernel, fake []string) {
	w.t.Helper()
	if slices.Equal(kernel, fake) {
		return
	}
	w.t.Errorf("%s: the fake differs from the kernel\n%s", what, lineDiff(kernel, fake))
}

// lineDiff shows, in kernel order, the lines only the kernel has (-) and
// then the lines only the fake has (+); with the same lines in another
// order it shows both listings.
func lineDiff(kernel, fake []string) string {
	var b strings.Builder
	for _, l := range kernel {
		if !slices.Contains(fake, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range fake {
		if !slices.Contains(kernel, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "same lines, other order:\nkernel:\n" + strings.Join(kernel, "\n") + "\nfake:\n" + strings.Join(fake, "\n")
	}
	return b.String()
}
