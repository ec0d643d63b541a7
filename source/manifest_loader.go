package source

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
)

// manifestLoader turns the folder's current content into handler events. It
// is used by one goroutine at a time: the caller for the initial load, then
// the watcher.
type manifestLoader struct {
	dir        string
	kindsByGVK map[schema.GroupVersionKind]boundKind
	sinks      []*sink
	reporter   func(file string, doc int, err error)

	// files is the last state of each manifest file, by base name.
	files map[string]*fileState
	// current is what the handlers have been told, by object.
	current map[objectKey]manifestObject
	// reportedDuplicates avoids repeating the same duplicate report on
	// every periodic rescan.
	reportedDuplicates map[string]bool
}

// fileState remembers a file's last content, so unchanged files are neither
// decoded nor reported again, and its last good objects, which survive a bad
// edit.
type fileState struct {
	// digest of the last content read: a 10k-Service folder is ~12 MB of
	// YAML that need not stay in memory to notice a file did not change.
	digest  [sha256.Size]byte
	read    bool
	readErr string
	objects []manifestObject
}

func newManifestLoader(dir, nodeName string, h Handlers, reporter func(string, int, error)) *manifestLoader {
	l := &manifestLoader{
		dir:                dir,
		kindsByGVK:         map[schema.GroupVersionKind]boundKind{},
		reporter:           reporter,
		files:              map[string]*fileState{},
		current:            map[objectKey]manifestObject{},
		reportedDuplicates: map[string]bool{},
	}
	for _, k := range kinds {
		s := k.bind(h, nodeName)
		l.kindsByGVK[k.gvk] = boundKind{kind: k, sink: s}
		if s != nil {
			l.sinks = append(l.sinks, s)
		}
	}
	return l
}

func (l *manifestLoader) markSynced() {
	for _, s := range l.sinks {
		s.synced()
	}
}

// rescan reads the folder and delivers the difference with what handlers
// already know. If the folder cannot be listed nothing changes.
func (l *manifestLoader) rescan() error {
	names, err := l.listManifestFiles()
	if err != nil {
		return fmt.Errorf("listing manifests folder %s: %w", l.dir, err)
	}
	changed := l.forgetRemovedFiles(names)
	for _, name := range names {
		changed = l.refreshFile(name) || changed
	}
	// The periodic rescan usually finds nothing new: skip merging and
	// comparing every object of the folder then.
	if changed {
		l.apply(l.desiredObjects(names))
	}
	return nil
}

// listManifestFiles returns manifest file names in sorted order. Hidden
// files are skipped: editors and ConfigMap volumes keep their temporary and
// lock files there.
func (l *manifestLoader) listManifestFiles() ([]string, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || strings.HasPrefix(name, ".") || !isManifestName(name) {
			continue
		}
		names = append(names, name)
	}
	return names, nil // os.ReadDir sorts by name.
}

func isManifestName(name string) bool {
	switch filepath.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// forgetRemovedFiles drops the state of files no longer listed and tells
// whether there were any.
func (l *manifestLoader) forgetRemovedFiles(names []string) bool {
	removed := false
	for name := range l.files {
		if !slices.Contains(names, name) {
			delete(l.files, name)
			removed = true
		}
	}
	return removed
}

// refreshFile re-decodes name if its content changed, and tells whether
// the file's objects may have changed. On any failure the file keeps its
// previous objects.
func (l *manifestLoader) refreshFile(name string) bool {
	path := filepath.Join(l.dir, name)
	state := l.files[name]
	if state == nil {
		state = &fileState{}
		l.files[name] = state
	}
	content, err := readManifest(path)
	if errors.Is(err, fs.ErrNotExist) {
		delete(l.files, name) // Removed since the listing (or a dangling symlink).
		return len(state.objects) > 0
	}
	if err != nil {
		if state.readErr != err.Error() {
			l.reportReadError(path, err)
		}
		state.readErr = err.Error()
		return false
	}
	state.readErr = ""
	digest := sha256.Sum256(content)
	if state.read && state.digest == digest {
		return false
	}
	state.digest, state.read = digest, true
	decoded := decodeFile(path, content, l.kindsByGVK)
	for _, p := range decoded.unsupported {
		l.report(path, p.doc, p.err, "Skipping manifest document of an unsupported kind")
	}
	for _, p := range decoded.failures {
		l.report(path, p.doc, p.err, "Cannot decode manifest document; keeping the file's previously loaded objects")
	}
	if len(decoded.failures) > 0 {
		return false
	}
	state.objects = decoded.objects
	return true
}

// desiredObjects merges all files. The first definition of an object wins,
// files being visited in sorted order.
func (l *manifestLoader) desiredObjects(names []string) map[objectKey]manifestObject {
	desired := map[objectKey]manifestObject{}
	duplicates := map[string]bool{}
	for _, name := range names {
		state := l.files[name]
		if state == nil {
			continue
		}
		for _, obj := range state.objects {
			first, seen := desired[obj.key]
			if !seen {
				desired[obj.key] = obj
				continue
			}
			id := fmt.Sprintf("%s|%d|%s", obj.file, obj.doc, obj.key)
			duplicates[id] = true
			if !l.reportedDuplicates[id] {
				err := fmt.Errorf("%w: %s in %s (document %d)", ErrDuplicateObject, obj.key, first.file, first.doc)
				l.report(obj.file, obj.doc, err, "Ignoring duplicate manifest object; the first definition wins")
			}
		}
	}
	l.reportedDuplicates = duplicates
	return desired
}

// apply tells the handlers what changed. Adds and updates go first so that a
// consumer never sees a gap while an object moves between files.
func (l *manifestLoader) apply(desired map[objectKey]manifestObject) {
	for _, key := range sortedKeys(desired) {
		next := desired[key]
		prev, known := l.current[key]
		switch {
		case !known:
			next.sink.onAdd(next.obj)
		case !equality.Semantic.DeepEqual(prev.obj, next.obj):
			next.sink.onUpdate(prev.obj, next.obj)
		}
	}
	for _, key := range sortedKeys(l.current) {
		if _, kept := desired[key]; !kept {
			prev := l.current[key]
			prev.sink.onDelete(prev.obj)
		}
	}
	l.current = desired
}

func sortedKeys(objects map[objectKey]manifestObject) []objectKey {
	keys := make([]objectKey, 0, len(objects))
	for key := range objects {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b objectKey) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

func (l *manifestLoader) reportReadError(path string, err error) {
	if errors.Is(err, ErrTooLarge) {
		l.report(path, 0, err, "Refusing a manifest file over the size limit; keeping its previously loaded objects")
		return
	}
	l.report(path, 0, fmt.Errorf("%w: %w", ErrReadFile, err), "Cannot read manifest file; keeping its previously loaded objects")
}

// report logs a problem once, as one structured line, and forwards it to the
// optional reporter.
func (l *manifestLoader) report(file string, doc int, err error, msg string) {
	klog.ErrorS(err, msg, "file", file, "document", doc)
	if l.reporter != nil {
		l.reporter(file, doc, err)
	}
}
