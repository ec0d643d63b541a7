package nftables

import (
	"bytes"
	"testing"
)

// TestGroupedWritesOneCommandPerMap: each container's deletes, then its
// adds, each as one command; a replaced key's delete comes first.
func TestGroupedWritesOneCommandPerMap(t *testing.T) {
	tx := newTxn(newRecorder(familyV4).NewTransaction())
	tx.deleteElem("cluster-ips", elem{key: []string{"10.96.0.9"}})
	tx.deleteElem("eps-tcp-00", elem{key: []string{"0"}, value: []string{"10.244.1.2", "8080"}})
	tx.addElem("eps-tcp-00", elem{key: []string{"0"}, value: []string{"10.244.1.9", "8080"}})
	tx.addElem("eps-tcp-00", elem{key: []string{"1"}, value: []string{"10.244.1.3", "8080"}})
	tx.unlink = []string{"svc-x"}
	var out bytes.Buffer
	writeGrouped(&out, familyV4.nft, tx)
	want := `delete element ip nodenet cluster-ips { 10.96.0.9 }
delete element ip nodenet eps-tcp-00 { 0 }
add element ip nodenet eps-tcp-00 { 0 : 10.244.1.9 . 8080, 1 : 10.244.1.3 . 8080 }
flush chain ip nodenet svc-x
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
