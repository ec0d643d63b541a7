package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckNodeCount(t *testing.T) {
	for _, c := range []struct {
		json string
		ok   bool
	}{
		{`{"a":1,"b":[1,2,{"c":null}]}`, true},
		{"[" + strings.Repeat("1,", MaxDocumentNodes-2) + "1]", true},  // the array and its values: the limit
		{"[" + strings.Repeat("1,", MaxDocumentNodes-1) + "1]", false}, // one more
		{`{"k":` + strings.Repeat(`{"k":`, 10) + "1" + strings.Repeat("}", 11), true},
	} {
		err := checkNodeCount([]byte(c.json))
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrTooLarge)) {
			t.Errorf("%.40s…: %v, want ok %t", c.json, err, c.ok)
		}
	}
}

// TestManifestsOverTheLimitsAreRefused: a file over MaxManifestFileBytes
// and a document over MaxDocumentNodes are refused with ErrTooLarge naming
// the file, and each file keeps the objects it had.
func TestManifestsOverTheLimitsAreRefused(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	deep := filepath.Join(dir, "deep.yaml")
	writeFile(t, big, serviceYAML("", "big", 80))
	writeFile(t, deep, serviceYAML("", "deep", 80))
	r := newRecorder()
	p := runManifests(t, dir, r.handlers(), watchOnly)
	mark := r.count()

	padding := "# " + strings.Repeat("x", 1<<20) + "\n"
	writeAtomically(t, dir, "big.yaml", serviceYAML("", "big", 81)+strings.Repeat(padding, MaxManifestFileBytes>>20))
	var labels strings.Builder
	for i := range MaxDocumentNodes {
		fmt.Fprintf(&labels, "    l%d: v\n", i)
	}
	writeAtomically(t, dir, "deep.yaml", strings.Replace(serviceYAML("", "deep", 81), "metadata:\n", "metadata:\n  labels:\n"+labels.String(), 1))
	p.waitFor(t, big, 0, ErrTooLarge)
	p.waitFor(t, deep, 1, ErrTooLarge)

	writeAtomically(t, dir, "z-barrier.yaml", serviceYAML("", "barrier", 1))
	r.waitFor(t, mark, eventTimeout, "add Service default/barrier")
	for _, text := range r.texts(mark) {
		if strings.Contains(text, "big") || strings.Contains(text, "deep") {
			t.Errorf("got %q: a refused file must keep its previous objects", text)
		}
	}
	for _, got := range p.all() {
		if got.file == big && !strings.Contains(got.err.Error(), "limit is 16777216") {
			t.Errorf("report %q does not give the limit", got.err)
		}
	}
	if info, err := os.Stat(big); err != nil || info.Size() <= MaxManifestFileBytes {
		t.Fatalf("the test file is not over the limit: %v %v", info, err)
	}
}
