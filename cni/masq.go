package cni

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"
)

// ipFamily holds what differs between IPv4 and IPv6 masquerading.
type ipFamily struct {
	restore, save string
	multicast     string
	hostBits      int
	digit         string // in set names: ipsets of both families share one namespace
	setFamily     uint8  // ipset family (inet, inet6)
}

var (
	familyV4 = ipFamily{"iptables-restore", "iptables-save", "224.0.0.0/4", 32, "4", unix.AF_INET}
	familyV6 = ipFamily{"ip6tables-restore", "ip6tables-save", "ff00::/8", 128, "6", unix.AF_INET6}

	allFamilies = []ipFamily{familyV4, familyV6}
)

func familyOf(ip net.IP) ipFamily {
	if ip.To4() != nil {
		return familyV4
	}
	return familyV6
}

// parallel runs independent jobs at once and joins their errors. The jobs
// are execs of iptables (milliseconds each) and kernel calls that wait for
// RCU (veth deletion), so overlapping them cuts wall time even on one core.
func parallel(jobs []func() error) error {
	if len(jobs) == 1 {
		return jobs[0]()
	}
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() { errs <- j() }()
	}
	var all []error
	for range jobs {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}
