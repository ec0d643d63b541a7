package netpol

import (
	"slices"
	"strings"
)

// resolvePorts turns a rule's ports into numbers for a destination pod with
// podPorts. ok is false when the rule lists ports but none exists in the
// pod: the rule then allows nothing (it must not collapse to "all ports").
func resolvePorts(ports []compiledPort, podPorts []NamedPort) (ranges []PortRange, ok bool) {
	if len(ports) == 0 {
		return nil, true
	}
	for _, p := range ports {
		ranges = append(ranges, resolvePort(p, podPorts)...)
	}
	return ranges, len(ranges) > 0
}

// resolvePort looks a named port up by name AND protocol, as upstream does:
// a UDP rule does not match a TCP container port of the same name.
func resolvePort(p compiledPort, podPorts []NamedPort) []PortRange {
	if !p.isNamed() {
		return []PortRange{{Protocol: p.protocol, First: p.first, Last: p.last}}
	}
	var out []PortRange
	for _, pp := range podPorts {
		if pp.Name == p.name && pp.Protocol == p.protocol {
			out = append(out, PortRange{Protocol: p.protocol, First: pp.Port, Last: pp.Port})
		}
	}
	return out
}

// splitNamedPorts separates ports that need no pod to resolve (numbered, as
// ranges) from named ones.
func splitNamedPorts(ports []compiledPort) (numbered []PortRange, named []compiledPort) {
	for _, p := range ports {
		if p.isNamed() {
			named = append(named, p)
		} else {
			numbered = append(numbered, resolvePort(p, nil)...)
		}
	}
	return numbered, named
}

// podPortGroup is a set of pods in which the same named ports resolve to
// the same numbers, so one address set and one port list cover them.
type podPortGroup struct {
	key   string
	ports []PortRange
	pods  []*Pod
}

// groupPodsByResolvedPorts groups candidates by what named resolves to in
// each, skipping pods where nothing resolves. Groups come sorted by key.
func groupPodsByResolvedPorts(candidates []*Pod, named []compiledPort) []*podPortGroup {
	groups := map[string]*podPortGroup{}
	for _, pod := range candidates {
		ports, ok := resolvePorts(named, pod.Ports)
		if !ok {
			continue
		}
		key := portRangesKey(ports)
		if groups[key] == nil {
			groups[key] = &podPortGroup{key: key, ports: ports}
		}
		groups[key].pods = append(groups[key].pods, pod)
	}
	out := make([]*podPortGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *podPortGroup) int { return strings.Compare(a.key, b.key) })
	return out
}

func portRangesKey(ranges []PortRange) string {
	parts := make([]string, 0, len(ranges))
	for _, r := range ranges {
		parts = append(parts, r.String())
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), ",")
}
