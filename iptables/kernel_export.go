package iptables

import v1 "k8s.io/api/core/v1"

// NewExecKernel returns the exec Kernel (iptables-restore, go-iptables) of
// ipFamily in the current network namespace, for other packages that
// program their own chains, such as the NetworkPolicy firewall.
func NewExecKernel(ipFamily v1.IPFamily) (Kernel, error) {
	return execKernelFor(ipFamily)
}

// LegacyTable is what the kernel keeps of one iptables-legacy table: its
// number of entries and its size in bytes (IPT_SO_GET_INFO). Any rule
// added, deleted or flushed changes it.
type LegacyTable struct{ Entries, Size uint32 }

// IsLegacy tells whether ipFamily's iptables is iptables-legacy, which
// announces no change (legacywatch.go).
func IsLegacy(ipFamily v1.IPFamily) bool {
	f, err := familyFor(ipFamily)
	return err == nil && f.isLegacy()
}

// ReadLegacyTable reads table's LegacyTable in the current network
// namespace with one getsockopt (no exec, no copy of the rules).
func ReadLegacyTable(ipFamily v1.IPFamily, table string) (LegacyTable, error) {
	info, err := readLegacyInfo(ipFamily == v1.IPv4Protocol, table)
	return LegacyTable{Entries: info.entries, Size: info.size}, err
}
