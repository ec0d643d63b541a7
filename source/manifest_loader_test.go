package source

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// These tests drive the loader directly, one rescan at a time, so they can
// assert exact event lists without any goroutine or timing.

func newTestLoader(t *testing.T, dir string) (*manifestLoader, *recorder, *problems) {
	t.Helper()
	r, p := newRecorder(), newProblems()
	return newManifestLoader(dir, "node-a", r.handlers(), p.report), r, p
}

func mustRescan(t *testing.T, l *manifestLoader) {
	t.Helper()
	if err := l.rescan(); err != nil {
		t.Fatal(err)
	}
}

func TestLoaderFirstDefinitionWinsAndDuplicateIsReportedOnce(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	writeFile(t, first, serviceYAML("", "web", 80))
	writeFile(t, second, docs(serviceYAML("prod", "other", 1), serviceYAML("default", "web", 90)))
	l, r, p := newTestLoader(t, dir)

	mustRescan(t, l)
	mustRescan(t, l)

	if got, want := r.texts(0), []string{"add Service default/web", "add Service prod/other"}; !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	if web, _ := r.last("add Service default/web"); servicePort(t, web) != 80 {
		t.Errorf("web port = %d, want 80 from the first file", servicePort(t, web))
	}
	if got := p.all(); len(got) != 1 || !p.find(second, 2, ErrDuplicateObject) {
		t.Errorf("reports = %v, want one duplicate for %s document 2", got, second)
	}

	// Once the first definition goes away, the second one takes over.
	if err := os.Remove(first); err != nil {
		t.Fatal(err)
	}
	mark := r.count()
	mustRescan(t, l)
	if got, want := r.texts(mark), []string{"update Service default/web"}; !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	if web, _ := r.last("update Service default/web"); servicePort(t, web) != 90 {
		t.Errorf("web port = %d, want 90 from the second file", servicePort(t, web))
	}
}

func TestLoaderSkipsUnsupportedKindsAndAppliesTheRest(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mixed.yaml")
	writeFile(t, file, docs(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n",
		"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
		"apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\nmetadata:\n  name: old\naddressType: IPv4\n",
		// Outside the client's scheme, even with a malformed spec.
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec: 5\n",
		serviceYAML("", "web", 80),
	))
	l, r, p := newTestLoader(t, dir)

	mustRescan(t, l)

	if got, want := r.texts(0), []string{"add Service default/web"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	for doc := 1; doc <= 4; doc++ {
		if !p.find(file, doc, ErrUnsupportedKind) {
			t.Errorf("no unsupported-kind report for document %d; got %v", doc, p.all())
		}
	}
}

func TestLoaderReportsABadFileOnlyWhenItChanges(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.yaml")
	writeFile(t, file, "kind: Service\nmetadata: {name: web}\n") // no apiVersion
	l, r, p := newTestLoader(t, dir)

	mustRescan(t, l)
	mustRescan(t, l)
	if got := p.all(); len(got) != 1 || !p.find(file, 1, ErrDecode) {
		t.Fatalf("reports = %v, want one decode error for document 1", got)
	}

	writeFile(t, file, "apiVersion: v1\nkind: Service\nmetadata: {}\n") // no name
	mustRescan(t, l)
	if got := p.all(); len(got) != 2 || got[1].doc != 1 {
		t.Fatalf("reports = %v, want a second report for the new content", got)
	}
	if got := r.texts(0); len(got) != 0 {
		t.Errorf("events = %q, want none from a file that never decoded", got)
	}
}

func TestLoaderKeepsObjectsWhenTheFolderCannotBeListed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "manifests")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "web.yaml"), serviceYAML("", "web", 80))
	l, r, _ := newTestLoader(t, dir)
	mustRescan(t, l)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := l.rescan(); err == nil {
		t.Fatal("rescan of a missing folder succeeded")
	}
	if got, want := r.texts(0), []string{"add Service default/web"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestDecodeFileNumbersNonEmptyDocuments(t *testing.T) {
	content := "# licence\n---\n" + docs(
		serviceYAML("", "web", 80),
		"",
		"# comment only\n",
		"apiVersion: v1\nkind: Service\nmetadata: [not, a, map]\n",
		serviceYAML("", "api", 80),
	)
	l, _, _ := newTestLoader(t, t.TempDir())

	decoded := decodeFile("f.yaml", []byte(content), l.kindsByGVK)

	if len(decoded.failures) != 1 || decoded.failures[0].doc != 2 {
		t.Errorf("failures = %v, want exactly document 2", decoded.failures)
	}
	var docsFound []int
	for _, obj := range decoded.objects {
		docsFound = append(docsFound, obj.doc)
	}
	if !slices.Equal(docsFound, []int{1, 3}) {
		t.Errorf("objects at documents %v, want [1 3]", docsFound)
	}
}
