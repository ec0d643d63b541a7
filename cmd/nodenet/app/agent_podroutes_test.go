package app

import (
	"strings"
	"testing"
)

func TestPodRoutesNeedTheAPIServer(t *testing.T) {
	o := newAgentOptions()
	o.PodRoutes, o.Manifests, o.HostnameOverride = true, t.TempDir(), "n1"
	if _, err := o.complete(nil); err == nil || !strings.Contains(err.Error(), "--pod-routes") {
		t.Fatalf("--pod-routes with --manifests: err %v, want one naming --pod-routes", err)
	}
	o.Manifests, o.Kubeconfig = "", "/dev/null"
	cfg, err := o.complete(nil)
	if err != nil || !cfg.PodRoutes {
		t.Fatalf("--pod-routes with --kubeconfig: %+v, %v", cfg, err)
	}
}
