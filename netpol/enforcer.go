package netpol

// Enforcer makes the kernel enforce a Model. The firewall
// (netpol/firewall) implements it; the controller that turns source events
// into Models depends only on this, so it is tested with a fake.
type Enforcer interface {
	// Sync programs m. With full false it may rely on what its previous
	// successful Sync left in the kernel and write only the difference; a
	// failed Sync makes the next one full whatever the caller asks, and full
	// true re-reads the kernel and rewrites everything that differs.
	Sync(m *Model, full bool) error
}
