package netpol

import (
	"testing"

	"github.com/nodenet/nodenet/test/objects"
)

// benchClusters are the sizes BenchmarkCompute runs: the firewall
// benchmark's cluster (1,000 pods, 100 local, 200 policies) and one ten
// times smaller and five times larger, to show how Compute scales.
var benchClusters = []objects.Cluster{
	genCluster(100, 20, 25, 20),
	genCluster(1000, 20, 25, 200),
	genCluster(5000, 100, 125, 1000),
}

// BenchmarkCompute measures one whole recomputation of the model, which
// the controller runs on every pod, namespace or policy change.
//
//	go test -run '^$' -bench Compute -benchmem ./netpol/
func BenchmarkCompute(b *testing.B) {
	for _, c := range benchClusters {
		in := genInput(c)
		b.Run(c.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, errs := Compute(in); len(errs) != 0 {
					b.Fatal(errs)
				}
			}
		})
	}
}
