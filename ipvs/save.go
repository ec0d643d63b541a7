package ipvs

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Save prints family's virtual and real servers as `ipvsadm-save -n`
// does, so the output can be fed to `ipvsadm-restore`.
func Save(k Kernel, family v1.IPFamily) (string, error) {
	states, err := List(k, family)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, vs := range states {
		svc := fmt.Sprintf("%s %s", saveProto(vs.Protocol), netip.AddrPortFrom(vs.Addr, vs.Port))
		fmt.Fprintf(&b, "-A %s -s %s", svc, vs.Scheduler)
		if vs.PersistenceSeconds > 0 {
			fmt.Fprintf(&b, " -p %d", vs.PersistenceSeconds)
		}
		b.WriteString("\n")
		for _, rs := range vs.Reals {
			fmt.Fprintf(&b, "-a %s -r %s -m -w %d\n", svc, rs.AddrPort(), rs.Weight)
		}
	}
	return b.String(), nil
}

func saveProto(p v1.Protocol) string {
	switch p {
	case v1.ProtocolUDP:
		return "-u"
	case v1.ProtocolSCTP:
		return "--sctp-service"
	}
	return "-t"
}
