// Package firewall tests the NetworkPolicy firewall (netpol/firewall)
// against the real kernel, inside network namespaces named nnt-fw-*:
// `sudo go test -tags e2e -count=1 ./test/firewall/`.
package firewall
