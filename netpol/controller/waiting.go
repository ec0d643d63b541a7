package controller

// WaitingFor names the kinds whose initial list has not arrived yet
// ("pods", "namespaces", "networkpolicies", "node"); empty once the
// firewall can enforce. Until then nothing is enforced (see sync): a kind
// the agent may not list (RBAC) keeps it so forever, and health checks use
// this to say so rather than look healthy.
func (c *Controller) WaitingFor() []string { return c.store.waitingFor() }

func (s *Store) waitingFor() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var kinds []string
	for _, k := range []struct {
		name   string
		synced bool
	}{{"pods", s.synced.pods}, {"namespaces", s.synced.namespaces},
		{"networkpolicies", s.synced.policies}, {"node", s.synced.node}} {
		if !k.synced {
			kinds = append(kinds, k.name)
		}
	}
	return kinds
}
