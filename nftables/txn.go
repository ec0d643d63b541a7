package nftables

import (
	"context"

	"sigs.k8s.io/knftables"
)

// txn is one sync's transaction, in the order the kernel accepts it:
// declarations and chain fills (knftables objects), then the element
// changes of the shared maps and sets, then the flushes of chains no
// longer wanted. The elements are kept apart from knftables so that the
// real kernel can get them grouped, one command per map (grouped.go),
// instead of one knftables object and one nft command per element.
type txn struct {
	tx     *knftables.Transaction
	elems  []elemOp // runs of one container each, in container order
	unlink []string // chains flushed at the end, deleted by deleteStale
}

// elemOp is one element deleted or added. A replaced element is a delete
// then an add of the same key, in that order.
type elemOp struct {
	container string
	del       bool
	e         elem
}

func newTxn(tx *knftables.Transaction) *txn { return &txn{tx: tx} }

func (t *txn) deleteElem(container string, e elem) {
	t.elems = append(t.elems, elemOp{container: container, del: true, e: e})
}

func (t *txn) addElem(container string, e elem) {
	t.elems = append(t.elems, elemOp{container: container, e: e})
}

func (t *txn) numOperations() int {
	return t.tx.NumOperations() + len(t.elems) + len(t.unlink)
}

// runPerElement applies t through knftables, one Element object (and one
// nft command) per element: what knftables' fake understands, and the
// reference form the grouped writer is checked against
// (test/nftables TestGroupedElementsEqualPerElement).
func runPerElement(ctx context.Context, nft knftables.Interface, t *txn) error {
	for _, op := range t.elems {
		if op.del {
			t.tx.Delete(toElement(op.container, op.e))
		} else {
			t.tx.Add(toElement(op.container, op.e))
		}
	}
	for _, c := range t.unlink {
		t.tx.Flush(&knftables.Chain{Name: c})
	}
	return nft.Run(ctx, t.tx)
}
