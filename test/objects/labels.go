package objects

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels reads "k=v" pairs (each may be "k1=v1,k2=v2"); none is nil.
func Labels(pairs ...string) map[string]string {
	var out map[string]string
	for _, pair := range pairs {
		for _, kv := range strings.Split(pair, ",") {
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				panic("label without '=': " + kv)
			}
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// Selector matches the labels of pairs ("k=v"); Selector() is {}, which
// selects everything.
func Selector(pairs ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: Labels(pairs...)}
}

// Expression is a selector of one requirement.
func Expression(key string, op metav1.LabelSelectorOperator, values ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}
