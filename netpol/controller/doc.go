// Package controller turns source events (Pods, Namespaces,
// NetworkPolicies and the agent's own Node) into netpol Models and hands
// them to a netpol.Enforcer.
//
// Data flows one way, as in the proxy: handlers only record a change in the
// Store and poke the runner; the sync loop snapshots the Store, computes the
// Model (pure) and calls Enforcer.Sync. The latest Model is kept for
// `nodenet trace` and `nodenet dump policies`.
package controller
