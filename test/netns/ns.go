package netns

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// NS is a named network namespace made by this package.
type NS struct {
	Name string
}

// UniquePrefix returns "nnt-<tag>-<4 hex>": the stem of every namespace
// of one topology, unique enough for concurrent runs and short enough to
// read in `ip netns list`.
func UniquePrefix(tag string) string {
	b := make([]byte, 2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("nnt-%s-%s", tag, hex.EncodeToString(b))
}

// New creates namespace name with lo up and registers its deletion.
// Deleting a namespace destroys the interfaces inside it (and the veth
// peers elsewhere), so one Cleanup per namespace removes the topology.
func New(t testing.TB, name string) *NS {
	t.Helper()
	if !strings.HasPrefix(name, "nnt-") {
		t.Fatalf("netns %q: test namespaces must start with nnt-", name)
	}
	Run(t, "", "ip", "netns", "add", name)
	trackNS(name, true)
	t.Cleanup(func() { Delete(t, name) })
	ns := &NS{Name: name}
	ns.IP(t, "link", "set", "lo", "up")
	return ns
}

// Delete removes namespace name if it exists; it logs rather than fails so
// that cleanup continues with the next namespace.
func Delete(t testing.TB, name string) {
	if _, err := os.Stat(filepath.Join("/run/netns", name)); err != nil {
		return
	}
	defer trackNS(name, false)
	if out, err := Exec("", "ip", "netns", "del", name); err != nil {
		t.Logf("cleanup: deleting netns %s: %v %s", name, err, out)
	}
}

// List returns the names of existing namespaces that start with prefix.
func List(prefix string) []string {
	entries, _ := os.ReadDir("/run/netns")
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

// IP runs `ip -n <ns> args...`.
func (ns *NS) IP(t testing.TB, args ...string) string {
	t.Helper()
	return IP(t, ns.Name, args...)
}

// Run runs argv inside the namespace and fails the test on error.
func (ns *NS) Run(t testing.TB, argv ...string) string {
	t.Helper()
	return Run(t, ns.Name, argv...)
}

// Exec runs argv inside the namespace.
func (ns *NS) Exec(argv ...string) (string, error) { return Exec(ns.Name, argv...) }

// Sysctl writes a sysctl inside the namespace (net.* sysctls are per netns).
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	ns.Run(t, "sysctl", "-q", "-w", key+"="+value)
}
