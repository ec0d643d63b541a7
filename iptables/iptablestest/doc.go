// Package iptablestest is test support for the iptables backend and the
// NetworkPolicy firewall: FakeKernel, a stateful in-memory iptables.Kernel
// that validates payloads as iptables and the kernel do and prints rules
// as iptables -S does, and Trace, which follows a first packet through its
// rules. For tests only: the agent's binary must not link it
// (cmd/nodenet/deps_test.go). test/contract keeps it honest against the
// kernel.
package iptablestest
