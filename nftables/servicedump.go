package nftables

import (
	"slices"
	"strconv"
	"strings"
)

// `nodenet dump nftables`: nodenet's table as the kernel lists it,
// grouped by Service port. The kernel is read (not the agent's memory),
// so the dump shows what packets meet. A Service port's objects are found
// by their names and references:
//   - its chains carry "ns/name/proto/port" in their names (names.go);
//     affinity chains (aep-) are the ones its chains goto;
//   - a verdict-map element belongs to the port whose chain it goes to;
//   - endpoint-map elements are the slots its `numgen … offset K map @M`
//     rules choose from (slots.go);
//   - affinity-set elements (clients) to the port whose chains update
//     that set;
//   - elements that name no chain (cluster-ips, no-endpoint maps,
//     hairpin) belong to the port whose frontend key the caller gives in
//     frontends (the agent's table knows the frontends), listed under
//     each port that shares them; else they are left unattributed.

// PortObjects is what nodenet's table holds for one Service port.
type PortObjects struct {
	// Port is the Service port as object names carry it:
	// "namespace/name/protocol/port" (port name, "" when unnamed).
	Port     string
	Chains   []ChainListing
	Elements []ElementListing
}

// ChainListing is one chain with its rules as nft lists them.
type ChainListing struct {
	Name  string
	Rules []string
}

// ElementListing is one element of a map or set as nft lists it
// ("key : value" in a map).
type ElementListing struct {
	Container string
	Element   string
}

// TableListing is a `nft list table` of nodenet's table, parsed.
type TableListing struct {
	chains     map[string][]string
	chainOrder []string
	elems      map[string][]string // by map or set, in listed order
	elemOrder  []string
}

// ParseListing reads the output of `nft list table <family> nodenet`
// (SaveRules). Only what the dump needs is read: chains with their
// rules, and the elements of maps and sets.
func ParseListing(text string) *TableListing {
	l := &TableListing{chains: map[string][]string{}, elems: map[string][]string{}}
	var block, kind string
	var inElems bool
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case inElems:
			inElems = l.addElements(block, line)
		case kind == "" && (strings.HasPrefix(line, "chain ") || strings.HasPrefix(line, "set ") || strings.HasPrefix(line, "map ")):
			kind, block = blockHeader(line)
			if kind == "chain" {
				l.chainOrder = append(l.chainOrder, block)
				l.chains[block] = []string{}
			}
		case line == "}":
			kind = ""
		case kind == "chain" && line != "" && !strings.HasPrefix(line, "type "):
			l.chains[block] = append(l.chains[block], line)
		case kind != "chain" && strings.HasPrefix(line, "elements = {"):
			l.elemOrder = append(l.elemOrder, block)
			inElems = l.addElements(block, strings.TrimPrefix(line, "elements = {"))
		}
	}
	return l
}

// blockHeader splits "chain NAME {" into its kind and name. nft quotes a
// name with "/" in it.
func blockHeader(line string) (kind, name string) {
	kind, rest, _ := strings.Cut(line, " ")
	name = strings.TrimSpace(strings.TrimSuffix(rest, "{"))
	if unq, err := strconv.Unquote(name); err == nil {
		name = unq
	}
	return kind, name
}

// addElements takes one line of an elements block; false once the block
// is closed.
func (l *TableListing) addElements(container, line string) bool {
	open := !strings.HasSuffix(line, "}")
	line = strings.TrimSuffix(line, "}")
	for _, e := range strings.Split(line, ",") {
		if e = strings.Join(strings.Fields(e), " "); e != "" {
			l.elems[container] = append(l.elems[container], e)
		}
	}
	return open
}

// ByServicePort groups the listing's per-Service objects, in port order,
// and returns the elements it could not attribute. frontends maps an
// element key ("10.96.0.10 . tcp . 80", "tcp . 30080", "10.96.0.10") to
// the ports (PortObjects.Port) it serves: the ports of one ClusterIP
// share its cluster-ips element, which is listed under each. It may be
// nil.
func (l *TableListing) ByServicePort(frontends map[string][]string) (ports []PortObjects, other []ElementListing) {
	byPort := map[string]*PortObjects{}
	get := func(port string) *PortObjects {
		if byPort[port] == nil {
			byPort[port] = &PortObjects{Port: port}
		}
		return byPort[port]
	}
	chainPort := map[string]string{}
	for _, name := range l.chainOrder {
		if port, ok := portOfChain(name); ok {
			chainPort[name] = port
		}
	}
	// Affinity chains belong to the port whose chain sends clients there.
	for _, name := range l.chainOrder {
		port, ok := chainPort[name]
		if !ok || strings.HasPrefix(name, prefixAffinityChain+"-") {
			continue
		}
		for _, r := range l.chains[name] {
			if target := gotoTarget(r); strings.HasPrefix(target, prefixAffinityChain+"-") {
				chainPort[target] = port
			}
		}
	}
	slots := map[slotKey]string{}
	setPort := map[string]string{} // affinity sets, by the chains updating them
	for _, name := range l.chainOrder {
		port, ok := chainPort[name]
		if !ok {
			continue
		}
		p := get(port)
		p.Chains = append(p.Chains, ChainListing{Name: name, Rules: l.chains[name]})
		for _, r := range l.chains[name] {
			for _, k := range slotsOf(r) {
				slots[k] = port
			}
			for _, f := range strings.Fields(r) {
				if strings.HasPrefix(f, "@"+prefixAffinitySet+"-") {
					setPort[f[1:]] = port
				}
			}
		}
	}
	for _, container := range l.elemOrder {
		for _, e := range l.elems[container] {
			key, value, _ := strings.Cut(e, " : ")
			port, ok := chainPort[gotoTarget(value)]
			if !ok && isEndpointMap(container) {
				port, ok = slots[slotKey{container, key}]
			}
			if !ok {
				port, ok = setPort[container]
			}
			owners := frontends[key]
			if ok {
				owners = []string{port}
			}
			if len(owners) == 0 {
				other = append(other, ElementListing{Container: container, Element: e})
			}
			for _, port := range owners {
				p := get(port)
				p.Elements = append(p.Elements, ElementListing{Container: container, Element: e})
			}
		}
	}
	for _, port := range slices.Sorted(func(yield func(string) bool) {
		for k := range byPort {
			if !yield(k) {
				return
			}
		}
	}) {
		ports = append(ports, *byPort[port])
	}
	return ports, other
}

// portOfChain is the "ns/name/proto/port" in a Service port's chain name.
func portOfChain(name string) (string, bool) {
	parts := strings.SplitN(name, "-", 3)
	if len(parts) != 3 {
		return "", false
	}
	switch parts[0] {
	case prefixService, prefixExternal, prefixCluster, prefixLocal, prefixFirewall:
		return parts[2], true
	}
	return "", false
}

// gotoTarget is the chain a rule or verdict ends with a goto or jump to.
func gotoTarget(s string) string {
	f := strings.Fields(s)
	if n := len(f); n >= 2 && (f[n-2] == "goto" || f[n-2] == "jump") {
		return strings.Trim(f[n-1], `"`)
	}
	return ""
}

type slotKey struct{ container, key string }

// slotsOf are the endpoint-map slots a `numgen random mod N offset K map
// @M` rule chooses from. nft lists no "offset 0".
func slotsOf(rule string) []slotKey {
	f := strings.Fields(rule)
	i := slices.Index(f, "numgen")
	if i < 0 || len(f) < i+6 || f[i+2] != "mod" {
		return nil
	}
	n, err := strconv.Atoi(f[i+3])
	if err != nil {
		return nil
	}
	k, rest := 0, f[i+4:]
	if rest[0] == "offset" && len(rest) >= 4 {
		if k, err = strconv.Atoi(rest[1]); err != nil {
			return nil
		}
		rest = rest[2:]
	}
	if rest[0] != "map" {
		return nil
	}
	m := strings.TrimPrefix(rest[1], "@")
	out := make([]slotKey, n)
	for j := range out {
		out[j] = slotKey{m, strconv.Itoa(k + j)}
	}
	return out
}
