//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/nodenet/nodenet/test/netns"
)

// TestCNIInstaller: with --cni-conf-dir and --cni-bin-dir the agent copies
// itself in as the plugin and writes a conflist whose ranges are the
// Node's pod CIDRs, and rewrites it when they change.
func TestCNIInstaller(t *testing.T) {
	s := newScenario(t)
	confDir, binDir := t.TempDir(), t.TempDir()
	s.write("node.yaml", nodeWithPodCIDRs("10.244.1.0/24"))
	s.startAgent("--cni-conf-dir", confDir, "--cni-bin-dir", binDir)

	conf := waitConflist(t, confDir, "10.244.1.0/24")
	if conf.Plugins[0].Network.Type != "nodenet" {
		t.Errorf("plugin type %q, want nodenet", conf.Plugins[0].Network.Type)
	}
	if info, err := os.Stat(filepath.Join(binDir, "nodenet")); err != nil || info.Mode()&0o111 == 0 {
		t.Fatalf("plugin binary not installed executable: %v", err)
	}
	s.write("node.yaml", nodeWithPodCIDRs("10.244.7.0/24", "fd00:10:244:7::/64"))
	waitConflist(t, confDir, "fd00:10:244:7::/64")
}

func nodeWithPodCIDRs(cidrs ...string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\nspec:\n  podCIDR: %s\n  podCIDRs: [%s]\n",
		nodeName, cidrs[0], strings.Join(cidrs, ", "))
}

// waitConflist polls confDir until its one conflist mentions want and
// parses as libcni (what containerd uses) reads it.
func waitConflist(t *testing.T, confDir, want string) *libcni.NetworkConfigList {
	t.Helper()
	var conf *libcni.NetworkConfigList
	netns.Eventually(t, 5*time.Second, "conflist with "+want, func() error {
		files, err := libcni.ConfFiles(confDir, []string{".conflist"})
		if err != nil || len(files) != 1 {
			return fmt.Errorf("conflists %v (%v), want one", files, err)
		}
		c, err := libcni.ConfListFromFile(files[0])
		if err != nil {
			return err
		}
		if !strings.Contains(string(c.Bytes), want) {
			return fmt.Errorf("conflist has no %s: %s", want, c.Bytes)
		}
		conf = c
		return nil
	})
	return conf
}
