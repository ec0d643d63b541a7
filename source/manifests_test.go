package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// watchOnly makes the periodic rescan irrelevant, so a passing test proves
// the fsnotify path delivered the change.
var watchOnly = ManifestOptions{RescanPeriod: time.Hour}

func runManifests(t *testing.T, dir string, h Handlers, opts ManifestOptions) *problems {
	t.Helper()
	p := newProblems()
	opts.Reporter = p.report
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := RunManifestsWithOptions(ctx, dir, "node-a", h, opts); err != nil {
		t.Fatalf("RunManifests: %v", err)
	}
	return p
}

func servicePort(t *testing.T, e event) int32 {
	t.Helper()
	return e.obj.(*v1.Service).Spec.Ports[0].Port
}

func TestManifestsInitialLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "all.yaml"), "# licence header\n---\n"+docs(
		serviceYAML("", "web", 80),
		"", // empty document
		endpointSliceYAML("prod", "web-1", "10.0.0.1"),
		"# only a comment\n",
		nodeYAML("node-a"),
		nodeYAML("node-b"),
	))
	writeFile(t, filepath.Join(dir, "api.json"), `{"apiVersion":"v1","kind":"Service","metadata":{"name":"api"},"spec":{"ports":[{"port":8080}]}}`)
	writeFile(t, filepath.Join(dir, "notes.txt"), "not a manifest")
	r := newRecorder()

	p := runManifests(t, dir, r.handlers(), watchOnly)

	got := r.texts(0)
	wantAdds := []string{"add Service default/web", "add EndpointSlice prod/web-1", "add Node node-a", "add Service default/api"}
	wantSynced := []string{"synced Service", "synced EndpointSlice", "synced Node"}
	if len(got) != len(wantAdds)+len(wantSynced) || !containsAll(got, wantAdds) || !slices.Equal(got[len(wantAdds):], wantSynced) {
		t.Fatalf("initial events = %q, want adds %q then %q", got, wantAdds, wantSynced)
	}
	web, _ := r.last("add Service default/web")
	if ns := web.obj.(*v1.Service).Namespace; ns != "default" {
		t.Errorf("web namespace = %q, want default", ns)
	}
	if reports := p.all(); len(reports) != 0 {
		t.Errorf("unexpected reports %v", reports)
	}
}

func TestManifestsDeliverOnlyKindsWithHandler(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "all.yaml"), docs(
		serviceYAML("", "web", 80), endpointSliceYAML("default", "web-1", "10.0.0.1"), nodeYAML("node-a")))
	r := newRecorder()

	p := runManifests(t, dir, Handlers{Services: r}, watchOnly)

	if got, want := r.texts(0), []string{"add Service default/web", "synced Service"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	if reports := p.all(); len(reports) != 0 {
		t.Errorf("kinds without handler must be skipped silently, got %v", reports)
	}
}

func TestRunManifestsFailsOnMissingFolder(t *testing.T) {
	err := RunManifests(context.Background(), filepath.Join(t.TempDir(), "missing"), "node-a", newRecorder().handlers())
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestManifestsWatchAddEditDelete(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), docs(serviceYAML("", "web", 80), serviceYAML("", "api", 8080)))
	r := newRecorder()
	runManifests(t, dir, r.handlers(), watchOnly)

	t.Run("add file", func(t *testing.T) {
		mark := r.count()
		writeAtomically(t, dir, "b.yaml", endpointSliceYAML("default", "web-1", "10.0.0.1"))
		r.waitFor(t, mark, eventTimeout, "add EndpointSlice default/web-1")
	})

	t.Run("edit file updates only what changed", func(t *testing.T) {
		mark := r.count()
		writeAtomically(t, dir, "a.yaml", docs(serviceYAML("", "web", 81), serviceYAML("", "api", 8080)))
		r.waitFor(t, mark, eventTimeout, "update Service default/web")
		// Rescans run one at a time, so once the barrier file is seen every
		// event of the edit has been delivered.
		writeAtomically(t, dir, "z-barrier.yaml", serviceYAML("", "barrier", 1))
		r.waitFor(t, mark, eventTimeout, "add Service default/barrier")

		want := []string{"update Service default/web", "add Service default/barrier"}
		if got := r.texts(mark); !slices.Equal(got, want) {
			t.Fatalf("events = %q, want %q (unchanged api must not be updated)", got, want)
		}
		update, _ := r.last("update Service default/web")
		if oldPort, newPort := update.old.(*v1.Service).Spec.Ports[0].Port, servicePort(t, update); oldPort != 80 || newPort != 81 {
			t.Errorf("update ports %d -> %d, want 80 -> 81", oldPort, newPort)
		}
	})

	t.Run("write in place", func(t *testing.T) {
		mark := r.count()
		writeFile(t, filepath.Join(dir, "b.yaml"), endpointSliceYAML("default", "web-1", "10.0.0.2"))
		r.waitFor(t, mark, eventTimeout, "update EndpointSlice default/web-1")
		update, _ := r.last("update EndpointSlice default/web-1")
		if got := update.obj.(*discovery.EndpointSlice).Endpoints[0].Addresses[0]; got != "10.0.0.2" {
			t.Errorf("address = %s, want 10.0.0.2", got)
		}
	})

	t.Run("delete file", func(t *testing.T) {
		mark := r.count()
		if err := os.Remove(filepath.Join(dir, "a.yaml")); err != nil {
			t.Fatal(err)
		}
		r.waitFor(t, mark, eventTimeout, "delete Service default/web", "delete Service default/api")
	})

	assertSyncedOnce(t, r)
}

func TestManifestsMalformedDocumentKeepsTheFileAndReports(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	writeFile(t, filepath.Join(dir, "good.yaml"), serviceYAML("", "web", 80))
	writeFile(t, broken, docs(serviceYAML("", "api", 8080), endpointSliceYAML("default", "api-1", "10.0.0.1")))
	r := newRecorder()
	p := runManifests(t, dir, r.handlers(), watchOnly)
	mark := r.count()

	// Half-edited: document 1 changed, document 2 broken (ports must be a list).
	writeAtomically(t, dir, "broken.yaml", docs(serviceYAML("", "api", 9090), "apiVersion: v1\nkind: Service\nmetadata:\n  name: api-2\nspec:\n  ports: 80\n"))
	writeAtomically(t, dir, "good.yaml", serviceYAML("", "web", 81))

	p.waitFor(t, broken, 2, ErrDecode)
	r.waitFor(t, mark, eventTimeout, "update Service default/web")
	writeAtomically(t, dir, "z-barrier.yaml", serviceYAML("", "barrier", 1))
	r.waitFor(t, mark, eventTimeout, "add Service default/barrier")
	for _, text := range r.texts(mark) {
		if strings.Contains(text, "api") {
			t.Errorf("got %q: the broken file must keep its previous objects", text)
		}
	}
	for _, got := range p.all() {
		if got.file == broken && got.doc == 2 && !strings.Contains(got.err.Error(), "ports") {
			t.Errorf("report %q does not say what is wrong", got.err)
		}
	}

	mark = r.count()
	writeAtomically(t, dir, "broken.yaml", docs(serviceYAML("", "api", 9090), endpointSliceYAML("default", "api-1", "10.0.0.1")))
	r.waitFor(t, mark, eventTimeout, "update Service default/api")
	if update, _ := r.last("update Service default/api"); servicePort(t, update) != 9090 {
		t.Errorf("fixed api port = %d, want 9090", servicePort(t, update))
	}
}

// A symlinked manifest whose target is edited outside the folder produces no
// inotify event in the folder: only the periodic rescan can notice.
func TestManifestsPeriodicRescanCatchesUnwatchedChanges(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "web.yaml")
	writeFile(t, target, serviceYAML("", "web", 80))
	if err := os.Symlink(target, filepath.Join(dir, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	runManifests(t, dir, r.handlers(), ManifestOptions{RescanPeriod: 50 * time.Millisecond})
	mark := r.count()

	writeFile(t, target, serviceYAML("", "web", 81))

	r.waitFor(t, mark, eventTimeout, "update Service default/web")
}

// ConfigMap volumes update by swapping a hidden "..data" symlink: no event
// names the manifest itself, yet the change must arrive promptly.
func TestManifestsConfigMapVolumeSwap(t *testing.T) {
	dir := t.TempDir()
	writeVersion := func(version, content string) {
		if err := os.Mkdir(filepath.Join(dir, version), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, version, "web.yaml"), content)
		if err := os.Symlink(version, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	writeVersion("..v1", serviceYAML("", "web", 80))
	if err := os.Symlink(filepath.Join("..data", "web.yaml"), filepath.Join(dir, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	runManifests(t, dir, r.handlers(), watchOnly)
	r.waitFor(t, 0, eventTimeout, "add Service default/web")
	mark := r.count()

	writeVersion("..v2", serviceYAML("", "web", 81))

	r.waitFor(t, mark, eventTimeout, "update Service default/web")
}
