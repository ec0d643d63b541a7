package hostlocal

import (
	"errors"
	"fmt"
	"math/big"
	"net"

	current "github.com/containernetworking/cni/pkg/types/100"
)

// ErrExhausted is returned when a range set has no free address left.
var ErrExhausted = errors.New("no free address in range set")

// Attachment identifies one allocation owner: the spec's (container ID,
// ifname) pair.
type Attachment struct {
	ContainerID string
	IfName      string
}

func (a Allocation) owner() Attachment { return Attachment{a.ContainerID, a.IfName} }

func (a Allocation) ownedBy(o Attachment) bool {
	// Allocations written by old reference versions carry no ifname.
	return a.ContainerID == o.ContainerID && (a.IfName == o.IfName || a.IfName == "")
}

// Allocator hands out addresses for one network.
type Allocator struct {
	cfg     *Config
	network string
}

// New returns an allocator for network using cfg (already validated).
func New(cfg *Config, network string) *Allocator {
	return &Allocator{cfg: cfg, network: network}
}

// withStore runs fn with the network's directory locked.
func (a *Allocator) withStore(fn func(*store) error) error {
	s, err := openStore(a.cfg.DataDir, a.network)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.lock(); err != nil {
		return err
	}
	return fn(s)
}

// Allocate returns one address per range set for owner. A repeated call for
// the same owner returns the addresses it already holds, so a retried ADD is
// stable. requested are addresses the runtime asks for (the reference
// host-local's CNI_ARGS IP=, args.cni.ips and the ips capability): each
// must fall in a distinct range set's pool and be free, else nothing is
// allocated.
func (a *Allocator) Allocate(owner Attachment, requested []net.IP) ([]*current.IPConfig, error) {
	if len(a.cfg.Ranges) == 0 {
		return nil, ErrNoRanges
	}
	wanted, err := a.assignRequested(requested)
	if err != nil {
		return nil, err
	}
	var ips []*current.IPConfig
	err = a.withStore(func(s *store) error {
		held, err := s.list()
		if err != nil {
			return err
		}
		var fresh []net.IP
		for i, set := range a.cfg.Ranges {
			ip, isNew, err := a.allocateFromSet(s, held, i, owner, wanted[i])
			if err != nil {
				for _, f := range fresh {
					_ = s.release(f)
				}
				return err
			}
			if isNew {
				fresh = append(fresh, ip)
			}
			r := set[set.rangeFor(ip)]
			ips = append(ips, &current.IPConfig{
				Address: net.IPNet{IP: ip, Mask: r.Subnet.Mask},
				Gateway: r.Gateway,
			})
		}
		return nil
	})
	return ips, err
}

// assignRequested maps each requested address to the index of the range
// set whose pool holds it; an address in no pool, a second one for the
// same set, or a gateway is refused before anything is reserved. One
// address asked through two channels counts once, as in the reference.
func (a *Allocator) assignRequested(requested []net.IP) (map[int]net.IP, error) {
	wanted := map[int]net.IP{}
	for _, ip := range requested {
		idx := -1
		for i, set := range a.cfg.Ranges {
			if r := set.rangeFor(ip); r >= 0 {
				if ip.Equal(set[r].Gateway) {
					return nil, fmt.Errorf("%w: %s is the gateway of %s", ErrRequestedUnavailable, ip, set.String())
				}
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("%w: %s is in no range set's pool", ErrRequestedUnavailable, ip)
		}
		if prev, dup := wanted[idx]; dup && !prev.Equal(ip) {
			return nil, fmt.Errorf("%w: %s and %s are both in range set %d (one address per set)", ErrRequestedUnavailable, prev, ip, idx)
		}
		wanted[idx] = canonicalIP(ip)
	}
	return wanted, nil
}

// ErrNoRanges: neither the config (ranges, subnet) nor the runtime
// (ipRanges) gave a pool to allocate from.
var ErrNoRanges = errors.New("no ranges: set ranges or subnet, or pass the ipRanges capability")

// ErrRequestedUnavailable: a requested address cannot be given to the
// attachment (outside the pools, taken, or a gateway).
var ErrRequestedUnavailable = errors.New("requested address unavailable")

func canonicalIP(ip net.IP) net.IP {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

func (a *Allocator) allocateFromSet(s *store, held []Allocation, idx int, owner Attachment, want net.IP) (net.IP, bool, error) {
	set := a.cfg.Ranges[idx]
	for _, h := range held {
		if !h.ownedBy(owner) || set.rangeFor(h.IP) < 0 {
			continue
		}
		if want != nil && !want.Equal(h.IP) {
			return nil, false, fmt.Errorf("%w: %s/%s already holds %s in range set %d, not %s", ErrRequestedUnavailable, owner.ContainerID, owner.IfName, h.IP, idx, want)
		}
		return h.IP, false, nil
	}
	if want != nil {
		ok, err := s.reserve(want, owner.ContainerID, owner.IfName, idx)
		if err == nil && !ok {
			err = fmt.Errorf("%w: %s is taken", ErrRequestedUnavailable, want)
		}
		return want, ok, err
	}
	it := newIterator(set, s.lastReserved(idx))
	for ip := it.next(); ip != nil; ip = it.next() {
		ok, err := s.reserve(ip, owner.ContainerID, owner.IfName, idx)
		if err != nil {
			return nil, false, err
		}
		if ok {
			return ip, true, nil
		}
	}
	return nil, false, fmt.Errorf("%w %d (%s)", ErrExhausted, idx, set.String())
}

// Release frees every address held by owner. Releasing nothing is success:
// DEL must be idempotent.
func (a *Allocator) Release(owner Attachment) error {
	return a.withStore(func(s *store) error {
		held, err := s.list()
		if err != nil {
			return err
		}
		for _, h := range held {
			if h.ownedBy(owner) {
				if err := s.release(h.IP); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Held returns the addresses currently recorded for owner.
func (a *Allocator) Held(owner Attachment) ([]net.IP, error) {
	var ips []net.IP
	err := a.withStore(func(s *store) error {
		held, err := s.list()
		for _, h := range held {
			if h.ownedBy(owner) {
				ips = append(ips, h.IP)
			}
		}
		return err
	})
	return ips, err
}

// GC releases every allocation whose owner is not in valid and returns the
// released allocations so the caller can clean up what hangs off them.
func (a *Allocator) GC(valid map[Attachment]bool) ([]Allocation, error) {
	var released []Allocation
	err := a.withStore(func(s *store) error {
		held, err := s.list()
		if err != nil {
			return err
		}
		for _, h := range held {
			if valid[h.owner()] || (h.IfName == "" && validContainer(valid, h.ContainerID)) {
				continue
			}
			if err := s.release(h.IP); err != nil {
				return err
			}
			released = append(released, h)
		}
		return nil
	})
	return released, err
}

func validContainer(valid map[Attachment]bool, id string) bool {
	for v := range valid {
		if v.ContainerID == id {
			return true
		}
	}
	return false
}

// Status returns an ErrExhausted-wrapping error if any range set is full,
// i.e. if an ADD for a new attachment would fail.
func (a *Allocator) Status() error {
	return a.withStore(func(s *store) error {
		held, err := s.list()
		if err != nil {
			return err
		}
		for i, set := range a.cfg.Ranges {
			if free(set, held).Sign() <= 0 {
				return fmt.Errorf("%w %d (%s)", ErrExhausted, i, set.String())
			}
		}
		return nil
	})
}

// free counts unallocated, non-gateway addresses in set.
func free(set RangeSet, held []Allocation) *big.Int {
	n := new(big.Int)
	for i := range set {
		n.Add(n, set[i].size())
		if set[i].contains(set[i].Gateway) {
			n.Sub(n, big.NewInt(1))
		}
	}
	for _, h := range held {
		if r := set.rangeFor(h.IP); r >= 0 && !h.IP.Equal(set[r].Gateway) {
			n.Sub(n, big.NewInt(1))
		}
	}
	return n
}

// String renders the pools of set, for error messages.
func (set RangeSet) String() string {
	s := ""
	for i, r := range set {
		if i > 0 {
			s += ", "
		}
		s += r.RangeStart.String() + "-" + r.RangeEnd.String()
	}
	return s
}
