// Package firewall enforces a netpol.Model with iptables (filter FORWARD,
// both families) and ipsets. It implements netpol.Enforcer; see README.md
// for the chain and set layout.
package firewall
