// Package contract keeps the test fakes honest: it runs the same
// operations against a fake and against the real kernel, inside network
// namespaces named nnt-ctr-*, and fails where they disagree: the
// iptables/iptablestest.FakeKernel under the backend's and the
// firewall's real syncs and under invalid payloads, with iptables-nft and
// iptables-legacy, and the firewall's FakeSets beside netlink; and the
// fake's packet tracer against real TCP connections; and
// podroutes/podroutestest.Kernel beside podroutes.Netlink.
// `sudo go test -tags e2e -count=1 ./test/contract/`.
package contract
