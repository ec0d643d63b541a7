package nodeinstall

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestNodeInstallerFollowsPodCIDRs(t *testing.T) {
	binDir, confDir := t.TempDir(), t.TempDir()
	self := filepath.Join(t.TempDir(), "nodenet")
	if err := os.WriteFile(self, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	inst := &NodeInstaller{BinDir: binDir, ConfDir: confDir, Self: self}
	node := &v1.Node{}
	inst.OnNodeAdd(node)
	if files, _ := os.ReadDir(confDir); len(files) != 0 {
		t.Fatalf("a Node without pod CIDRs must install nothing, got %v", files)
	}
	node.Spec.PodCIDR = "10.244.3.0/24"
	inst.OnNodeUpdate(nil, node)
	assertConfMentions(t, confDir, "10.244.3.0/24")
	node = node.DeepCopy()
	node.Spec.PodCIDRs = []string{"10.244.4.0/24", "fd00:4::/64"}
	inst.OnNodeUpdate(nil, node)
	assertConfMentions(t, confDir, "fd00:4::/64")
}

func assertConfMentions(t *testing.T, dir, want string) {
	t.Helper()
	files, err := os.ReadDir(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("conf dir holds %v (%v), want one conflist", files, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil || !strings.Contains(string(data), want) {
		t.Fatalf("conflist %s lacks %s (%v)", data, want, err)
	}
}
