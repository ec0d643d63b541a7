package nftables

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
)

// Grouped elements. knftables writes one `add element` command per
// element, and nft parses, evaluates and sends each command on its own:
// a full sync of 10k Services (120k elements) took 12.8 s, where the same
// elements written as one command per map (`add element ip nodenet M {
// k1 : v1, k2 : v2 }`, as `nft list` prints them) take a fraction of it
// and a third less of nft's memory (BENCHMARKS.md). knftables cannot
// group elements, so the real kernel gets nft input written here: the
// declarations and rules as knftables writes them, then each map's
// elements in one delete and one add command, then the flushes.

// nftRunner feeds nft input to the nft binary, in the calling thread's
// network namespace.
type nftRunner struct {
	path   string
	family knftables.Family
}

func newNFTRunner(f family) (*nftRunner, error) {
	path, err := exec.LookPath("nft")
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return &nftRunner{path: path, family: f.nft}, nil
}

func (r *nftRunner) run(ctx context.Context, t *txn) error {
	var in bytes.Buffer
	// An endpoint element is ~25 bytes of text ("17 : 10.128.4.1 . 8080, "):
	// growing the buffer once instead of by doubling.
	in.Grow(32 * len(t.elems))
	writeGrouped(&in, r.family, t)
	cmd := exec.CommandContext(ctx, r.path, "-f", "-")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// Marked as ours: its transaction is then not taken for tampering,
	// which at a cold start cost the next change a second of checking
	// objects it had just written.
	if err := nfwatch.RunOurs(cmd); err != nil {
		return fmt.Errorf("nft -f: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// writeGrouped writes t as nft input. Within one container the deletes
// go before the adds, so a replaced element (delete + add of one key)
// stays valid; containers are independent of each other.
func writeGrouped(w *bytes.Buffer, fam knftables.Family, t *txn) {
	w.WriteString(t.tx.String())
	for i := 0; i < len(t.elems); {
		j := i
		for j < len(t.elems) && t.elems[j].container == t.elems[i].container {
			j++
		}
		writeElemCommand(w, fam, t.elems[i:j], true)
		writeElemCommand(w, fam, t.elems[i:j], false)
		i = j
	}
	for _, c := range t.unlink {
		fmt.Fprintf(w, "flush chain %s %s %s\n", fam, TableName, c)
	}
}

// writeElemCommand writes the deletes (or the adds) of ops, which share
// one container, as one command; none, nothing.
func writeElemCommand(w *bytes.Buffer, fam knftables.Family, ops []elemOp, del bool) {
	verb := "add"
	if del {
		verb = "delete"
	}
	n := 0
	for _, op := range ops {
		if op.del != del {
			continue
		}
		if n == 0 {
			fmt.Fprintf(w, "%s element %s %s %s { ", verb, fam, TableName, op.container)
		} else {
			w.WriteString(", ")
		}
		n++
		writeJoined(w, op.e.key)
		if !del && len(op.e.value) > 0 {
			w.WriteString(" : ")
			writeJoined(w, op.e.value)
		}
	}
	if n > 0 {
		w.WriteString(" }\n")
	}
}

func writeJoined(w *bytes.Buffer, parts []string) {
	for i, p := range parts {
		if i > 0 {
			w.WriteString(" . ")
		}
		w.WriteString(p)
	}
}
