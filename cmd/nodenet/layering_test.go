package main

import (
	"strings"
	"testing"
)

const module = "github.com/nodenet/nodenet/"

// layers are the import rules of the tree's layout (DEVELOPERS.md): data
// flows source → proxy core → backend, and the proxy and the firewall know
// nothing of each other. Each package under a layer's folder may import
// none of the folders it forbids.
var layers = []struct {
	folder    string
	forbidden []string
	why       string
}{
	{"proxy", []string{"netpol", "iptables", "nftables", "ipvs", "proxymode", "source", "agent", "cmd", "cni"},
		"the proxy core is backend-neutral and knows neither the sources, the agent's plumbing nor the firewall"},
	{"netpol", []string{"proxy", "proxymode", "nftables", "ipvs", "agent", "cmd"},
		"the NetworkPolicy firewall knows nothing of the Service proxy"},
	{"source", []string{"proxy", "netpol", "proxymode", "iptables", "agent", "cmd"},
		"the sources only feed handler interfaces they define"},
	{"proxymode", []string{"iptables", "nftables", "ipvs", "netpol", "source", "agent", "cmd"},
		"the seam names no backend: backends register in cmd/nodenet/app"},
	{"nodeport", []string{"iptables", "nftables", "ipvs", "netpol", "source", "agent", "cmd"},
		"NodePort address selection serves every backend"},
	{"packettrace", []string{"iptables", "nftables", "ipvs", "proxymode", "source", "cmd", "cni", "netpol/firewall", "netpol/controller"},
		"the packet trace reads only what an agent serves (its /dump and NetworkPolicy model), so it answers alike online and offline"},
}

// TestLayering checks every package the binary links against layers.
func TestLayering(t *testing.T) {
	for _, p := range goListDeps(t, ".") {
		for _, l := range layers {
			if !isUnder(p.ImportPath, []string{module + l.folder}) {
				continue
			}
			for _, imp := range p.Imports {
				if f, bad := forbiddenFolder(imp, l.forbidden); bad {
					t.Errorf("%s imports %s: %s may not import %s/ (%s)", strings.TrimPrefix(p.ImportPath, module), strings.TrimPrefix(imp, module), l.folder, f, l.why)
				}
			}
		}
	}
}

// TestProxyCoreLinksNoBackend: not even through another package does the
// proxy core reach a backend, the firewall or the sources.
func TestProxyCoreLinksNoBackend(t *testing.T) {
	for _, p := range goListDeps(t, module+"proxy") {
		if f, bad := forbiddenFolder(p.ImportPath, layers[0].forbidden); bad {
			t.Errorf("proxy links %s (under %s/)", p.ImportPath, f)
		}
	}
}

func forbiddenFolder(pkg string, folders []string) (string, bool) {
	for _, f := range folders {
		if isUnder(pkg, []string{module + f}) {
			return f, true
		}
	}
	return "", false
}
