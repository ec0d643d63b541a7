package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/controller"
	"github.com/nodenet/nodenet/netpol/netpolview"
	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/packettrace"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/source"

	v1 "k8s.io/api/core/v1"
)

// liveNode reads what the agent at server programs: its /dump, the local
// pods of its NetworkPolicy model, and this network namespace's addresses
// (nodenet trace runs on the node, beside the agent).
func liveNode(ctx context.Context, server string) (*packettrace.Node, error) {
	dump, err := fetchDump(ctx, server)
	if err != nil {
		return nil, err
	}
	local, err := nodeport.SystemAddrs{}.LocalAddrs()
	if err != nil {
		return nil, fmt.Errorf("listing this node's addresses: %w", err)
	}
	node := &packettrace.Node{Dump: dump, LocalAddrs: local, Pods: map[string][]netip.Addr{}}
	var policies netpolview.PoliciesView
	err = fetchJSON(ctx, server, serve.NetpolPoliciesPath, &policies)
	var status *agentStatusError
	switch {
	case errors.As(err, &status) && status.code == http.StatusNotFound:
		return node, nil // --netpol=false: nothing filters
	case errors.As(err, &status):
		return nil, fmt.Errorf("agent %s: %s", server, status.body)
	case err != nil:
		return nil, err
	}
	for _, p := range policies.Pods {
		node.Pods[p.Pod] = parseAddrs(p.IPs)
	}
	node.Policy = agentPolicy{ctx: ctx, server: server}
	return node, nil
}

func parseAddrs(raw []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range raw {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// agentPolicy asks the agent's /netpol/trace.
type agentPolicy struct {
	ctx    context.Context
	server string
}

func (p agentPolicy) Verdict(src, dst netip.Addr, port int32, protocol v1.Protocol) (bool, []string, error) {
	q := packettrace.TraceQuery(src, dst, port, protocol)
	var view netpolview.TraceView
	path := fmt.Sprintf("%s?from=%s&to=%s&port=%s", serve.NetpolTracePath, q.From, q.To, q.Port)
	if err := fetchJSON(p.ctx, p.server, path, &view); err != nil {
		return false, nil, err
	}
	return view.Allowed, view.Reasons, nil
}

// offlineProxyOptions are the agent flags that shape the rules, which a
// folder of manifests does not hold: given to trace with --manifests.
type offlineProxyOptions struct {
	clusterCIDRs  []string
	masqueradeAll bool
	nodePorts     []string
}

func (o *offlineProxyOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.clusterCIDRs, "cluster-cidr", nil, "With --manifests: the agent's --cluster-cidr (masquerade decisions).")
	fs.BoolVar(&o.masqueradeAll, "masquerade-all", false, "With --manifests: the agent's --masquerade-all.")
	fs.StringSliceVar(&o.nodePorts, "nodeport-addresses", nil, "With --manifests: the agent's --nodeport-addresses.")
}

func (o *offlineProxyOptions) validate(fs *pflag.FlagSet, offline bool) error {
	for _, name := range []string{"cluster-cidr", "masquerade-all", "nodeport-addresses"} {
		if fs.Changed(name) && !offline {
			return fmt.Errorf("--%s goes with --manifests (a running agent reports its own)", name)
		}
	}
	if _, err := parseCIDRs("--cluster-cidr", o.clusterCIDRs); err != nil {
		return err
	}
	if _, err := nodeport.ParseAddresses(o.nodePorts); err != nil {
		return fmt.Errorf("--nodeport-addresses: %w", err)
	}
	return nil
}

// offlineSyncTimeout bounds the wait for the proxy core's first table.
const offlineSyncTimeout = 10 * time.Second

// offlineNode computes, from the manifests folder, what an agent for node
// --hostname-override would program: the proxy core's table (through the
// agent's own source and change trackers) and the NetworkPolicy model.
// The node's addresses are its Node's (status.addresses).
func (o *traceOptions) offlineNode(ctx context.Context) (*packettrace.Node, error) {
	nodeName, err := nodeName(o.HostnameOverride, os.Hostname)
	if err != nil {
		return nil, err
	}
	quietProxyLogs()
	ctx, cancel := context.WithTimeout(ctx, offlineSyncTimeout)
	defer cancel()
	table := &tableCapture{synced: make(chan *proxy.Table, 1)}
	p := proxy.NewProxier(proxy.Config{NodeName: nodeName, SyncPeriod: time.Hour}, table)
	store := controller.NewStore(nil)
	h := withPolicyKinds(proxyHandlers(p), store.Handlers())
	go p.Run(ctx)
	if err := source.RunManifests(ctx, o.Manifests, nodeName, h); err != nil {
		return nil, fmt.Errorf("reading manifests from %s: %w", o.Manifests, err)
	}
	var t *proxy.Table
	select {
	case t = <-table.synced:
	case <-ctx.Done():
		return nil, fmt.Errorf("computing the Service table from %s: %w", o.Manifests, ctx.Err())
	}
	in, _ := store.Snapshot(nodeName)
	m, _ := netpol.Compute(in)
	dump := serve.NewDumpView(t)
	dump.Proxy = &serve.ProxyConfigView{Mode: "offline", ClusterCIDRs: o.offlineProxy.clusterCIDRs, MasqueradeAll: o.offlineProxy.masqueradeAll, NodePortAddresses: o.offlineProxy.nodePorts}
	node := &packettrace.Node{Dump: dump, LocalAddrs: m.NodeIPs, Pods: map[string][]netip.Addr{}, Policy: packettrace.ModelPolicy{Model: m}}
	for _, pod := range in.Pods {
		if !pod.HostNetwork && len(pod.IPs) > 0 {
			node.Pods[pod.Key().String()] = pod.IPs
		}
	}
	return node, nil
}

// tableCapture is a proxy.Backend that programs nothing: it hands the
// first table it is given to the offline trace.
type tableCapture struct{ synced chan *proxy.Table }

func (c *tableCapture) Sync(t *proxy.Table, _ sets.Set[proxy.ServicePortName], _ bool) error {
	select {
	case c.synced <- t.Clone():
	default:
	}
	return nil
}

// quietProxyLogs: the proxy core logs what an agent's operator wants to
// know ("Node's primary IPs changed"); for one table computed for a trace
// that is noise on the SRE's terminal, unless asked for with -v.
func quietProxyLogs() {
	if klog.V(1).Enabled() {
		return
	}
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
}
