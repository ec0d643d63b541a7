package hostlocal

import "net"

// iterator walks a range set once, starting just after the last reserved
// address (round robin, like the reference plugin, so a released address is
// not immediately reused by the next pod) and skipping gateways.
type iterator struct {
	set      RangeSet
	rng      int
	cur      net.IP
	startRng int
	start    net.IP
	started  bool
}

func newIterator(set RangeSet, last net.IP) *iterator {
	it := &iterator{set: set}
	if r := set.rangeFor(last); r >= 0 {
		if last.To4() != nil {
			last = last.To4()
		}
		it.rng, it.cur = r, last
		it.advance()
	} else {
		it.rng, it.cur = 0, set[0].RangeStart
	}
	it.startRng, it.start = it.rng, it.cur
	return it
}

// advance moves cur to the following address, crossing into the next range
// (wrapping to the first) at a range end.
func (it *iterator) advance() {
	if cmpIP(it.cur, it.set[it.rng].RangeEnd) >= 0 {
		it.rng = (it.rng + 1) % len(it.set)
		it.cur = it.set[it.rng].RangeStart
		return
	}
	it.cur = addIP(it.cur, 1)
}

// next returns the next candidate, or nil once every address was offered.
func (it *iterator) next() net.IP {
	for {
		if it.started && it.rng == it.startRng && it.cur.Equal(it.start) {
			return nil
		}
		it.started = true
		ip := it.cur
		it.advance()
		if !ip.Equal(it.set[it.rngOf(ip)].Gateway) {
			return ip
		}
	}
}

func (it *iterator) rngOf(ip net.IP) int {
	if r := it.set.rangeFor(ip); r >= 0 {
		return r
	}
	return 0
}
