package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/deploy"
)

// TestDeployConfigMapLoads: the agent's arguments in deploy/kubernetes's
// DaemonSet, with its ConfigMap's file as --config, load without error and
// without ignored fields, and the file's settings arrive.
func TestDeployConfigMapLoads(t *testing.T) {
	objs, err := deploy.Objects(deploy.KubernetesDir())
	if err != nil {
		t.Fatal(err)
	}
	var config string
	var args []string
	for _, o := range objs {
		switch obj := o.Object.(type) {
		case *v1.ConfigMap:
			for _, data := range obj.Data {
				config = data
			}
		case *appsv1.DaemonSet:
			args = obj.Spec.Template.Spec.Containers[0].Args
		}
	}
	if config == "" || len(args) == 0 || args[0] != "agent" {
		t.Fatalf("no ConfigMap data (%q) or DaemonSet args beginning with agent (%q)", config, args)
	}
	path := writeFile(t, config)
	args = slices.Clone(args[1:])
	for i, arg := range args {
		if strings.HasPrefix(arg, "--config=") {
			args[i] = "--config=" + path
		}
		args[i] = strings.ReplaceAll(args[i], "$(NODE_NAME)", "node-a")
	}
	cfg, _, ignored := mustLoad(t, args...)
	if len(ignored) != 0 {
		t.Errorf("the ConfigMap sets fields nodenet ignores: %v", ignored)
	}
	if cfg.Mode.Name() != "iptables" || cfg.HealthzBindAddr != "0.0.0.0:10256" || cfg.SyncPeriod != 30*time.Second ||
		!slices.Equal(cfg.ClusterCIDRs, prefixes("10.244.0.0/16")) || cfg.NodeName != "node-a" {
		t.Errorf("config %+v: want the ConfigMap's mode, healthz address, sync period and cluster CIDR, node-a", *cfg)
	}
}
