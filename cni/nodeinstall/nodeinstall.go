// Package nodeinstall is the agent's side of the CNI plugin: it installs
// the binary and this node's conflist when the Node gets its pod CIDRs.
// It lives apart from package cni so that the plugin, which a runtime
// execs once per pod, links nothing from Kubernetes (see
// internal/plugininit).
package nodeinstall

import (
	"slices"
	"sync"

	"github.com/nodenet/nodenet/cni"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// NodeInstaller installs the plugin and this node's conflist when the
// agent's Node gets its pod CIDRs, and again when they change, as the
// DaemonSets of the major CNIs do. It is a source.NodeHandler. The work
// (one file copy, one small atomic write) happens in the handler: it runs
// at most once per pod CIDR change.
type NodeInstaller struct {
	BinDir, ConfDir string
	// Self is the running binary, copied into BinDir.
	Self string
	Opts []cni.InstallOption

	mu        sync.Mutex
	installed []string
}

func (i *NodeInstaller) OnNodeAdd(n *v1.Node)       { i.install(n) }
func (i *NodeInstaller) OnNodeUpdate(_, n *v1.Node) { i.install(n) }
func (i *NodeInstaller) OnNodeDelete(*v1.Node)      {}
func (i *NodeInstaller) OnNodeSynced()              {}

func (i *NodeInstaller) install(n *v1.Node) {
	cidrs := podCIDRsOf(n)
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(cidrs) == 0 || slices.Equal(cidrs, i.installed) {
		return
	}
	if err := cni.Install(i.BinDir, i.ConfDir, i.Self, cidrs, i.Opts...); err != nil {
		klog.ErrorS(err, "Cannot install the CNI plugin and config; pods on this node cannot start until this is fixed",
			"node", n.Name, "binDir", i.BinDir, "confDir", i.ConfDir)
		return
	}
	i.installed = cidrs
	klog.InfoS("Installed the CNI plugin and config", "node", n.Name, "podCIDRs", cidrs, "confDir", i.ConfDir)
}

// podCIDRsOf prefers spec.podCIDRs (dual-stack) and falls back to the
// older single spec.podCIDR.
func podCIDRsOf(n *v1.Node) []string {
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs
	}
	if n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return nil
}
