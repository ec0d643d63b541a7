// Package e2e holds nodenet's end-to-end proxy suite. Its tests carry the
// build tag "e2e" and need root:
//
//	sudo go test -tags e2e -count=1 ./test/e2e/
//
// Each test builds a throwaway node/pod/client topology in network
// namespaces named nnt-e-*, writes manifests into a temporary folder, runs
// `nodenet agent` inside the node namespace and sends real TCP and UDP
// traffic through it.
package e2e
