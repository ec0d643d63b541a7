package netpol

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// labelPair is one key=value label.
type labelPair struct{ key, value string }

// labelIndex lists pods per label they carry, in the order they were
// given. A selector that requires a label then checks only the pods that
// have it instead of a whole namespace, so peer matching costs about the
// pods a peer selects, not the pods it could select.
type labelIndex map[labelPair][]*Pod

func newLabelIndex(pods []*Pod) labelIndex {
	index := labelIndex{}
	for _, pod := range pods {
		for k, v := range pod.Labels {
			pair := labelPair{k, v}
			index[pair] = append(index[pair], pod)
		}
	}
	return index
}

// candidates returns the shortest list among the pods carrying each of
// required; every pod a selector requiring all of them matches is in it.
func (index labelIndex) candidates(required []labelPair) []*Pod {
	out := index[required[0]]
	for _, pair := range required[1:] {
		if pods := index[pair]; len(pods) < len(out) {
			out = pods
		}
	}
	return out
}

// requiredLabels returns the key=value labels every pod sel matches must
// carry: its equalities and its single-value set memberships (matchLabels
// become equalities). Other operators do not narrow the pods down.
func requiredLabels(sel labels.Selector) []labelPair {
	reqs, selectable := sel.Requirements()
	if !selectable {
		return nil
	}
	var out []labelPair
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			if values := r.ValuesUnsorted(); len(values) == 1 {
				out = append(out, labelPair{r.Key(), values[0]})
			}
		}
	}
	return out
}
