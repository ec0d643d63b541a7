package cni

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/containernetworking/cni/libcni"
)

func TestInstall(t *testing.T) {
	root := t.TempDir()
	self := filepath.Join(root, "self")
	if err := os.WriteFile(self, []byte("#!binary"), 0o700); err != nil {
		t.Fatal(err)
	}
	bin, conf := filepath.Join(root, "bin"), filepath.Join(root, "net.d")
	err := Install(bin, conf, self, []string{"10.244.3.0/24", "fd00:10:244:3::/64"}, WithMTU(1450), WithDataDir("/tmp/d"),
		WithNonMasqueradeCIDRs([]string{"10.244.0.0/16", "fd00:10:244::/48"}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(bin, BinaryName))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("binary: %v %v", st, err)
	}
	if b, _ := os.ReadFile(filepath.Join(bin, BinaryName)); string(b) != "#!binary" {
		t.Errorf("binary content %q", b)
	}
	list, err := libcni.ConfListFromFile(filepath.Join(conf, DefaultConfName))
	if err != nil {
		t.Fatalf("runtime cannot load conflist: %v", err)
	}
	if list.Name != DefaultNetworkName || len(list.Plugins) != 1 || list.Plugins[0].Network.Type != BinaryName {
		t.Fatalf("conflist %+v", list)
	}
	// A current libcni picks spec 1.1 (GC, STATUS); an older runtime reads
	// cniVersion alone and must get a version it knows.
	if list.CNIVersion != "1.1.0" {
		t.Errorf("libcni chose cniVersion %s, want 1.1.0", list.CNIVersion)
	}
	var raw struct{ CNIVersion string }
	if b, _ := os.ReadFile(filepath.Join(conf, DefaultConfName)); json.Unmarshal(b, &raw) != nil || raw.CNIVersion != "1.0.0" {
		t.Errorf("cniVersion for runtimes before libcni 1.2: %q, want 1.0.0", raw.CNIVersion)
	}
	n, err := parseConfig(list.Plugins[0].Bytes)
	if err == nil {
		t.Fatal("plugin entry without name/cniVersion should not parse alone")
	}
	// libcni injects name and cniVersion before exec; do the same.
	injected, err := libcni.InjectConf(list.Plugins[0], map[string]interface{}{"name": list.Name, "cniVersion": list.CNIVersion})
	if err != nil {
		t.Fatal(err)
	}
	if n, err = parseConfig(injected.Bytes); err != nil {
		t.Fatal(err)
	}
	if len(n.hostLocal.Ranges) != 2 || (*net.IPNet)(&n.hostLocal.Ranges[1][0].Subnet).String() != "fd00:10:244:3::/64" || n.MTU != 1450 || !n.IsDefaultGW || !n.IPMasq ||
		!slices.Equal(n.NonMasqueradeCIDRs, []string{"10.244.0.0/16", "fd00:10:244::/48"}) {
		t.Errorf("conflist content: %+v %+v", n, n.hostLocal)
	}
	// Re-install over the existing files (upgrade): each is a new file
	// renamed over the old one (a runtime reading or running the old one
	// keeps it whole), and no temp file is left.
	before := inodes(t, filepath.Join(bin, BinaryName), filepath.Join(conf, DefaultConfName))
	if err := os.WriteFile(self, []byte("#!binary v2"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Install(bin, conf, self, []string{"10.244.3.0/24"}); err != nil {
		t.Fatal(err)
	}
	after := inodes(t, filepath.Join(bin, BinaryName), filepath.Join(conf, DefaultConfName))
	if before[0] == after[0] || before[1] == after[1] {
		t.Errorf("files rewritten in place (inodes %v then %v), not replaced by rename", before, after)
	}
	for _, d := range []string{bin, conf} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("temp file left: %s", e.Name())
			}
		}
	}
}

func TestInstallRejectsBadInput(t *testing.T) {
	root := t.TempDir()
	self := filepath.Join(root, "self")
	_ = os.WriteFile(self, []byte("x"), 0o755)
	for name, cidrs := range map[string][]string{"none": nil, "garbage": {"ten/8"}, "too small": {"10.0.0.0/31"}} {
		if err := Install(filepath.Join(root, "bin"), filepath.Join(root, "conf"), self, cidrs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "conf", DefaultConfName)); err == nil {
		t.Error("a conflist was written for bad input")
	}
	if err := Install(filepath.Join(root, "bin"), filepath.Join(root, "conf"), filepath.Join(root, "missing"), []string{"10.0.0.0/24"}); err == nil {
		t.Error("missing self binary accepted")
	}
}

func inodes(t *testing.T, paths ...string) []uint64 {
	t.Helper()
	var out []uint64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st.Sys().(*syscall.Stat_t).Ino)
	}
	return out
}
