// Package netns is the shared harness of nodenet's end-to-end suites: it
// builds throwaway network namespaces, veth pairs, bridges, addresses and
// routes with iproute2, runs commands and daemons inside them, and removes
// everything again through t.Cleanup, even when a test fails.
//
// Everything it makes lives in namespaces named "nnt-<tag>-<suffix>-<role>"
// so that suites running at the same time on one machine never collide, and
// interfaces are created from inside those namespaces so that the root
// namespace never sees them. No test namespace gets a default route out: the
// traffic of a test stays among the namespaces the test made.
//
// The functions take a testing.TB and fail the test on error; they need root.
package netns
