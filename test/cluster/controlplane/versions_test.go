package controlplane

import (
	"os"
	"strings"
	"testing"
)

// TestVersionsMatchGoMod: the cache folder is named by the constants, the
// binaries are built from the go.mod requirements; if they drift apart a
// new version would be cached under the old name.
func TestVersionsMatchGoMod(t *testing.T) {
	for _, c := range []struct{ file, require string }{
		{"../go.mod", "k8s.io/kubernetes " + KubernetesVersion},
		{"../etcd/go.mod", "go.etcd.io/etcd/server/v3 " + EtcdVersion},
	} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\t"+c.require+"\n") && !strings.Contains(string(data), "require "+c.require+"\n") {
			t.Errorf("%s does not require %s", c.file, c.require)
		}
	}
}
