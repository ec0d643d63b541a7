package ipvs

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

func nodad(ip netip.Addr) int {
	if ip.Is6() {
		return unix.IFA_F_NODAD
	}
	return 0
}
