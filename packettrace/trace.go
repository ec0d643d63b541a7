package packettrace

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Trace answers q from n: the same decisions, in the same order, that the
// rules programmed from n's table make for the connection's first packet.
// It reads nothing but n, so it is the same online (an agent's /dump and
// NetworkPolicy model) and offline (a folder of manifests). Errors wrap
// ErrQuestion when the question cannot be answered as asked.
func Trace(n *Node, q Query) (Answer, error) {
	t, err := newTracer(n, q)
	if err != nil {
		return Answer{}, err
	}
	return t.run()
}

// tracer holds one trace's resolved question and its steps so far.
type tracer struct {
	n      *Node
	src    netip.Addr
	srcPod string
	// fromService is set when --from named a Service, not a pod.
	fromService string
	toRef       endpointRef
	port        portSpec
	answer      Answer
}

func newTracer(n *Node, q Query) (*tracer, error) {
	from, err := parseRef("--from", q.From)
	if err != nil {
		return nil, err
	}
	to, err := parseRef("--to", q.To)
	if err != nil {
		return nil, err
	}
	port, err := parsePort(q.Port)
	if err != nil {
		return nil, err
	}
	t := &tracer{n: n, toRef: to, port: port}
	if t.src, t.srcPod, err = n.resolveSource(from, to); err != nil {
		return nil, err
	}
	if !from.addr.IsValid() && t.srcPod != from.key() {
		t.fromService = from.key()
	}
	t.answer.Source = describeAddr(t.src, t.srcPod)
	return t, nil
}

// resolveSource picks the client's address: the pod's address of the
// destination's family when given by name.
func (n *Node) resolveSource(from, to endpointRef) (netip.Addr, string, error) {
	if from.addr.IsValid() {
		return from.addr, n.podOf(from.addr), nil
	}
	ips, ok := n.Pods[from.key()]
	if !ok || len(ips) == 0 {
		if ep, ok := n.serviceEndpoint(from.key(), to); ok {
			return ep, n.podOf(ep), nil
		}
		return netip.Addr{}, "", questionf("--from %s: no such pod or Service with an address known to this node (give its IP address)", from.key())
	}
	for _, ip := range ips {
		if !to.addr.IsValid() || ip.Is4() == to.addr.Is4() {
			return ip, from.key(), nil
		}
	}
	return netip.Addr{}, "", questionf("--from %s has no address of --to %s's IP family", from.key(), to.addr)
}

func podSuffix(pod string) string {
	if pod == "" {
		return ""
	}
	return " (pod " + pod + ")"
}

func describeAddr(a netip.Addr, pod string) string {
	if pod == "" {
		return a.String()
	}
	return a.String() + " (" + pod + ")"
}

func (t *tracer) step(stage, format string, args ...any) {
	t.answer.Steps = append(t.answer.Steps, Step{Stage: stage, Detail: fmt.Sprintf(format, args...)})
}

func (t *tracer) run() (Answer, error) {
	t.describeSource()
	fe, direct, err := t.destination()
	if err != nil {
		return Answer{}, err
	}
	switch {
	case direct.IsValid():
		t.toPod(direct)
	case fe.sp != nil:
		t.throughService(fe)
	}
	return t.finish(), nil
}

func (t *tracer) describeSource() {
	switch {
	case t.n.isLocal(t.src):
		t.step(StageSource, "%s is this node's own address: the packet leaves a host process (nat OUTPUT)", t.src)
	case t.fromService != "":
		t.step(StageSource, "%s stands for Service %s: %s is one of its endpoints%s", t.fromService, t.fromService, t.src, podSuffix(t.srcPod))
	case t.srcPod != "":
		t.step(StageSource, "%s is pod %s", t.src, t.srcPod)
	default:
		t.step(StageSource, "%s is no pod known here: a client outside this node", t.src)
	}
}

// destination resolves --to and --port: a Service frontend, or an address
// to reach directly (valid direct), or neither when the outcome is
// already decided (a Service address without that port).
func (t *tracer) destination() (frontend, netip.AddrPort, error) {
	if !t.toRef.addr.IsValid() {
		return t.destinationByName()
	}
	dst := t.toRef.addr
	if dst.Is4() != t.src.Is4() {
		return frontend{}, netip.AddrPort{}, questionf("--from %s and --to %s are of different IP families", t.src, dst)
	}
	fe, found, known := t.n.frontendAt(dst, t.port)
	switch {
	case found:
		t.answer.Destination = fmt.Sprintf("%s/%s (%s)", netip.AddrPortFrom(dst, uint16(fe.port)), fe.sp.Protocol, servicePortName(fe.sp))
		return fe, netip.AddrPort{}, nil
	case known:
		t.answer.Destination = fmt.Sprintf("%s port %s", dst, t.port)
		t.step(StageFrontend, "%s is a Service address, but no Service port %s is served on it: nothing translates the packet and nothing answers", dst, t.port)
		t.answer.Outcome = Dropped
		return frontend{}, netip.AddrPort{}, nil
	}
	if t.port.name != "" {
		return frontend{}, netip.AddrPort{}, questionf("--port %s: a port name needs a Service destination; %s is not a Service address here", t.port, dst)
	}
	return frontend{}, netip.AddrPortFrom(dst, uint16(t.port.number)), nil
}

// destinationByName: a Service of that name, else a pod.
func (t *tracer) destinationByName() (frontend, netip.AddrPort, error) {
	key := t.toRef.key()
	fe, isService, err := t.n.serviceByName(key, t.port, t.src)
	if err != nil {
		return frontend{}, netip.AddrPort{}, err
	}
	if isService {
		t.answer.Destination = fmt.Sprintf("%s/%s (%s)", netip.AddrPortFrom(fe.addr, uint16(fe.port)), fe.sp.Protocol, servicePortName(fe.sp))
		return fe, netip.AddrPort{}, nil
	}
	ips, ok := t.n.Pods[key]
	if !ok {
		return frontend{}, netip.AddrPort{}, questionf("--to %s: no Service of that name, and no pod known to this node", key)
	}
	if t.port.name != "" {
		return frontend{}, netip.AddrPort{}, questionf("--port %s: a port name needs a Service destination; give pod %s's port number", t.port, key)
	}
	for _, ip := range ips {
		if ip.Is4() == t.src.Is4() {
			return frontend{}, netip.AddrPortFrom(ip, uint16(t.port.number)), nil
		}
	}
	return frontend{}, netip.AddrPort{}, questionf("--to %s has no address of the client %s's IP family", key, t.src)
}

// protocol of a direct connection: as given, TCP by default.
func (t *tracer) protocol() v1.Protocol {
	return v1.Protocol(t.port.protocolOr(string(v1.ProtocolTCP)))
}

// toPod: no Service on the way; nodenet only filters (NetworkPolicy).
func (t *tracer) toPod(dst netip.AddrPort) {
	pod := t.n.podOf(dst.Addr())
	t.answer.Destination = fmt.Sprintf("%s/%s", dst, t.protocol())
	if pod != "" {
		t.answer.Destination += " (" + pod + ")"
	}
	if t.n.isLocal(dst.Addr()) {
		t.step(StageFrontend, "%s is this node's own address and no NodePort %s is served there: the packet goes to the host's socket, untranslated", dst.Addr(), t.port)
	} else {
		t.step(StageFrontend, "%s is no Service frontend: not translated", dst.Addr())
	}
	if pod == "" && t.srcPod == "" {
		t.step(StageOutcome, "neither end is a pod known here: nodenet neither translates nor filters it; routing decides")
		t.answer.Outcome = Forwarded
		return
	}
	target := Target{Address: dst.String(), Pod: pod, Probability: 1, Local: pod != "" && t.isLocalPod(dst.Addr())}
	t.answer.Endpoints = []Target{t.withPolicy(target, dst, t.protocol())}
}

// isLocalPod: a pod address the table marks local, or any pod address of
// the NetworkPolicy model's local pods.
func (t *tracer) isLocalPod(a netip.Addr) bool {
	for _, sp := range t.n.Dump.ServicePorts {
		for _, ep := range sp.Endpoints {
			if ap, err := netip.ParseAddrPort(ep.Address); err == nil && ap.Addr() == a {
				return ep.IsLocal
			}
		}
	}
	return t.n.podOf(a) != ""
}

// withPolicy asks the NetworkPolicy verdict for the connection to target
// and sets its outcome: a denied connection is rejected by the firewall.
func (t *tracer) withPolicy(target Target, dst netip.AddrPort, proto v1.Protocol) Target {
	target.Outcome = Delivered
	if t.n.Policy == nil {
		target.PolicyAllowed = true
		target.PolicyReasons = []string{"NetworkPolicy is not enforced by this agent (--netpol=false)"}
		t.step(StagePolicy, "%s: not filtered (NetworkPolicy off)", dst)
		return target
	}
	allowed, reasons, err := t.n.Policy.Verdict(t.src, dst.Addr(), int32(dst.Port()), proto)
	if err != nil {
		reasons = []string{"no NetworkPolicy verdict: " + err.Error()}
	}
	target.PolicyAllowed, target.PolicyReasons = allowed && err == nil, reasons
	word := "allowed"
	if !target.PolicyAllowed {
		word, target.Outcome = "denied: "+policyReject(dst.Addr()), Rejected
	}
	t.step(StagePolicy, "%s %s: %s", dst, word, strings.Join(reasons, "; "))
	return target
}

// finish sums the endpoints' outcomes up, unless a step already decided.
func (t *tracer) finish() Answer {
	a := &t.answer
	if a.Outcome == "" {
		a.Outcome = sumOutcomes(a.Endpoints)
		t.step(StageOutcome, "%s", describeOutcome(a.Outcome, a.Endpoints))
	} else if last := a.Steps[len(a.Steps)-1]; last.Stage != StageOutcome {
		t.step(StageOutcome, "%s", a.Outcome)
	}
	a.Allowed = a.Outcome.OK()
	a.Reasons = make([]string, 0, len(a.Steps))
	for _, s := range a.Steps {
		a.Reasons = append(a.Reasons, s.Detail)
	}
	return *a
}

func sumOutcomes(targets []Target) Outcome {
	delivered := 0
	for _, tg := range targets {
		if tg.Outcome == Delivered {
			delivered++
		}
	}
	switch {
	case len(targets) == 0:
		return Rejected
	case delivered == len(targets):
		return Delivered
	case delivered > 0:
		return PartlyDelivered
	}
	return Rejected
}

func describeOutcome(o Outcome, targets []Target) string {
	var to []string
	for _, tg := range targets {
		if tg.Outcome == Delivered {
			to = append(to, describeTarget(tg))
		}
	}
	switch o {
	case Delivered, PartlyDelivered:
		return fmt.Sprintf("%s to %s", o, strings.Join(to, ", "))
	}
	return string(o)
}

func describeTarget(tg Target) string {
	if tg.Pod == "" {
		return tg.Address
	}
	return tg.Address + " (" + tg.Pod + ")"
}

// policyReject is how the firewall refuses, as the client sees it: ICMP
// admin-prohibited, which Linux reports as EHOSTUNREACH over IPv4 and
// EACCES over IPv6.
func policyReject(a netip.Addr) string {
	if a.Is4() {
		return `REJECT (ICMP admin-prohibited, the client sees "no route to host")`
	}
	return `REJECT (ICMPv6 admin-prohibited, the client sees "permission denied")`
}
