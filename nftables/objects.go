package nftables

import (
	"slices"
	"strings"
	"time"
)

// elemID names one element of one of the table's maps or sets.
type elemID struct {
	container string // map or set name
	key       string // the key's parts joined by " . "
}

// elem is an element's key and (for maps) value, as knftables takes them.
type elem struct {
	key   []string
	value []string // nil in a set
}

func (e elem) equal(o elem) bool {
	return slices.Equal(e.key, o.key) && slices.Equal(e.value, o.value)
}

func idOf(container string, key []string) elemID {
	return elemID{container: container, key: strings.Join(key, " . ")}
}

// chainRules is one chain's rules, in order.
type chainRules []string

// bundle is everything one service port owns in one family's table: its
// chains, its affinity sets, and its elements in the shared maps and sets.
// The backend keeps the bundle it last wrote for each service port, so a
// sync diffs bundles instead of reading the kernel.
type bundle struct {
	chains map[string]chainRules
	sets   map[string]time.Duration // dynamic sets with their timeout
	elems  map[elemID]elem
	blocks map[string]block // endpoint-map slots, by selection chain
}

func newBundle() *bundle {
	return &bundle{chains: map[string]chainRules{}, sets: map[string]time.Duration{}, elems: map[elemID]elem{}, blocks: map[string]block{}}
}

func (b *bundle) addElem(container string, key []string, value ...string) {
	e := elem{key: key}
	if len(value) > 0 {
		e.value = value
	}
	b.elems[idOf(container, key)] = e
}

// empty bundles are what a gone (or other-family) service port owns.
func (b *bundle) empty() bool {
	return b == nil || (len(b.chains) == 0 && len(b.sets) == 0 && len(b.elems) == 0)
}
