package nftables

import (
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/internal/golden"
)

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func TestGoldenFullSync(t *testing.T) {
	_, r := synced(t, goldenTable())
	checkGolden(t, "full-sync.golden", r.Dump())
}

func TestGoldenOneEndpointSync(t *testing.T) {
	table := goldenTable()
	b, r := synced(t, table)
	web := svcName("web")
	table.Endpoints[web] = readyEndpoints("10.244.1.3:8080")
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "one-endpoint-sync.golden", r.last())
}
