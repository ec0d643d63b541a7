package app

import "testing"

func TestAgentFlagsNodePortPrimary(t *testing.T) {
	cfg, err := parseAgentFlags(t, "--nodeport-addresses=primary", "--manifests="+t.TempDir()).complete(fixedHostname("node-a"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.NodePorts.Primary || len(cfg.NodePorts.CIDRs) != 0 {
		t.Errorf("NodePorts = %+v; want primary and no CIDRs", cfg.NodePorts)
	}
}
