package netpol

import "testing"

// benchClusters are the sizes BenchmarkCompute runs: the firewall
// benchmark's cluster (1,000 pods, 100 local, 200 policies) and one ten
// times smaller and five times larger, to show how Compute scales.
var benchClusters = []genCluster{
	{pods: 100, namespaces: 20, apps: 25, policies: 20},
	{pods: 1000, namespaces: 20, apps: 25, policies: 200},
	{pods: 5000, namespaces: 100, apps: 125, policies: 1000},
}

// BenchmarkCompute measures one whole recomputation of the model, which
// the controller runs on every pod, namespace or policy change.
//
//	go test -run '^$' -bench Compute -benchmem ./netpol/
func BenchmarkCompute(b *testing.B) {
	for _, c := range benchClusters {
		in := c.input()
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
