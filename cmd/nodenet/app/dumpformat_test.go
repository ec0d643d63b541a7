package app

import (
	"path/filepath"
	"testing"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/internal/golden"
)

func TestFormatDumpGolden(t *testing.T) {
	tests := []struct {
		golden string
		view   serve.DumpView
		wide   bool
	}{
		{"dump.golden", sampleDumpView(), false},
		{"dump-wide.golden", sampleDumpView(), true},
		{"dump-empty.golden", serve.DumpView{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", tt.golden), formatDump(tt.view, tt.wide))
		})
	}
}

func sampleDumpView() serve.DumpView {
	return serve.DumpView{ServicePorts: []serve.ServicePortView{
		{
			Service: "default/web", PortName: "http", Protocol: "TCP",
			ClusterIPs: []string{"10.96.0.10", "fd00:10:96::a"}, Port: 80, NodePort: 30080,
			ExternalIPs:     []string{"203.0.113.7"},
			LoadBalancerIPs: []string{"198.51.100.20"},

			ExternalTrafficPolicyLocal: true, HealthCheckNodePort: 31000, SessionAffinitySeconds: 600,
			LoadBalancerSourceRanges: []string{"198.51.100.0/24"},
			Endpoints: []serve.EndpointView{
				{Address: "10.244.1.2:8080", Ready: true, Serving: true, NodeName: "node-a", Zone: "z1", IsLocal: true, Target: true, LocalTarget: true},
				{Address: "10.244.2.9:8080", Serving: true, Terminating: true, NodeName: "node-b"},
				{Address: "10.244.3.4:8080", Terminating: true, NodeName: "node-c"},
				{Address: "10.244.3.5:8080"},
			},
		},
		{
			Service: "kube-system/kube-dns", PortName: "dns", Protocol: "UDP",
			ClusterIPs: []string{"10.96.0.53"}, Port: 53,
			Endpoints: []serve.EndpointView{},
		},
		{
			Service: "shop/cart", Protocol: "TCP",
			ClusterIPs: []string{"10.96.5.5"}, Port: 443,
			Endpoints: []serve.EndpointView{
				{Address: "10.244.1.30:8443", Ready: true, Serving: true, NodeName: "node-a"},
			},
		},
	}}
}
