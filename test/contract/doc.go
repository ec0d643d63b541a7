// Package contract keeps the test fakes honest: it runs the same
// operations against a fake and against the real kernel, inside network
// namespaces named nnt-ctr-*, and fails where they disagree. Today that is
// iptables/iptablestest.FakeKernel (the backend's real payloads, invalid
// payloads, -m set). `sudo go test -tags e2e -count=1 ./test/contract/`.
package contract
