//go:build e2e

package bench

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// servicesPerFile keeps each manifest small, so that changing one
// endpoint re-reads one file of this many Services, not the whole set.
const servicesPerFile = 100

// cluster describes a generated set of Services with endpointsPer
// endpoints each, written as manifests.
type cluster struct {
	services, endpointsPer int
	// liveFirstAndLast points the first and the last Service at
	// liveEndpoint addresses (a real pod) instead of nowhere.
	liveFirstAndLast bool
}

func clusterIP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(96 + i>>16), byte(i >> 8), byte(i)})
}

// endpointIP numbers endpoints from 10.128.0.0 up; shift moves them, so a
// changed endpoint gets an address no other endpoint has.
func endpointIP(i, e, shift int) netip.Addr {
	n := i*16 + e + shift
	return netip.AddrFrom4([4]byte{10, byte(128 + n>>16), byte(n >> 8), byte(n)})
}

func (c cluster) write(dir string) error {
	for f := 0; f*servicesPerFile < c.services; f++ {
		if err := c.writeFile(dir, f, 0); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes file f; shift != 0 changes the first endpoint of its
// first Service, which is one endpoint change.
func (c cluster) writeFile(dir string, f, shift int) error {
	var b strings.Builder
	for i := f * servicesPerFile; i < (f+1)*servicesPerFile && i < c.services; i++ {
		first := 0
		if i == f*servicesPerFile {
			first = shift
		}
		writeService(&b, i)
		c.writeSlice(&b, i, first)
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".svc-%04d.tmp", f))
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, fmt.Sprintf("svc-%04d.yaml", f)))
}

func writeService(b *strings.Builder, i int) {
	fmt.Fprintf(b, `---
apiVersion: v1
kind: Service
metadata: {name: svc-%d, namespace: bench}
spec:
  clusterIP: %s
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
`, i, clusterIP(i))
}

func (c cluster) writeSlice(b *strings.Builder, i, shift int) {
	fmt.Fprintf(b, `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-%d-abc
  namespace: bench
  labels: {kubernetes.io/service-name: svc-%d}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
`, i, i)
	for e := 0; e < c.endpointsPer; e++ {
		s := 0
		if e == 0 {
			s = shift
		}
		// Endpoints spread over a 100-node cluster, as in a real one: only
		// this node's few get hairpin rules.
		ip := endpointIP(i, e, s)
		if c.liveFirstAndLast && (i == 0 || i == c.services-1) {
			ip = liveEndpoint(e)
		}
		fmt.Fprintf(b, "- addresses: [%s]\n  conditions: {ready: true}\n  nodeName: node-%d\n", ip, (i*c.endpointsPer+e)%100)
	}
}
