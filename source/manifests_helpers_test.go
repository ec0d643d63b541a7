package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func serviceYAML(namespace, name string, port int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %s
  namespace: %q
spec:
  ports:
  - name: http
    port: %d
`, name, namespace, port)
}

func endpointSliceYAML(namespace, name, address string) string {
	return fmt.Sprintf(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %s
  namespace: %s
addressType: IPv4
endpoints:
- addresses: [%q]
`, name, namespace, address)
}

func nodeYAML(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n", name)
}

func docs(documents ...string) string {
	var out string
	for i, d := range documents {
		if i > 0 {
			out += "---\n"
		}
		out += d
	}
	return out
}

// writeAtomically replaces a file the way editors and config tools do: write
// a hidden temporary file, then rename it over the target.
func writeAtomically(t *testing.T, dir, name, content string) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// problem is one call of ManifestOptions.Reporter.
type problem struct {
	file string
	doc  int
	err  error
}

// problems collects reports; the reporter runs on the watcher goroutine.
type problems struct {
	mu      sync.Mutex
	list    []problem
	changed chan struct{}
}

func newProblems() *problems {
	return &problems{changed: make(chan struct{}, 1)}
}

func (p *problems) report(file string, doc int, err error) {
	p.mu.Lock()
	p.list = append(p.list, problem{file, doc, err})
	p.mu.Unlock()
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

func (p *problems) all() []problem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]problem(nil), p.list...)
}

func (p *problems) find(file string, doc int, target error) bool {
	for _, got := range p.all() {
		if got.file == file && got.doc == doc && errors.Is(got.err, target) {
			return true
		}
	}
	return false
}

func (p *problems) waitFor(t *testing.T, file string, doc int, target error) {
	t.Helper()
	deadline := time.After(eventTimeout)
	for !p.find(file, doc, target) {
		select {
		case <-p.changed:
		case <-deadline:
			t.Fatalf("no report (%s, document %d, %v); got %v", file, doc, target, p.all())
		}
	}
}
