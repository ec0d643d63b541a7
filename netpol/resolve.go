package netpol

// Resolve reports why Verdict could not pick addresses for from and to (an
// unknown pod, a pod without IPs, no shared IP family), nil when it can.
// `nodenet trace` uses it to tell a lookup error from a deny.
func (m *Model) Resolve(from, to Endpoint) error {
	_, _, err := m.resolvePair(from, to)
	return err
}
