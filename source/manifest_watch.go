package source

import (
	"context"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
	"k8s.io/klog/v2"
)

// manifestWatcher drives rescans: shortly after filesystem events, and
// periodically as a safety net.
type manifestWatcher struct {
	loader  *manifestLoader
	watcher *fsnotify.Watcher
	dir     string
	opts    ManifestOptions
	// lastErr suppresses repeating the same rescan error every period.
	lastErr string
}

func (w *manifestWatcher) run(ctx context.Context) {
	defer func() { _ = w.watcher.Close() }()
	ticker := time.NewTicker(w.opts.RescanPeriod)
	defer ticker.Stop()

	// pending fires Debounce after the FIRST event of a burst. It is not
	// reset by later events, so a folder that never goes quiet still gets
	// rescanned promptly; events during a rescan cause one more.
	var pending <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case event, ok := <-w.watcher.Events:
			if !ok {
				return
			}
			// Any event counts, even on non-manifest names: editors rename
			// temporary files into place and ConfigMap volumes swap a
			// "..data" symlink without touching the manifest names.
			klog.V(5).InfoS("Manifests folder changed", "event", event.String())
			if pending == nil {
				pending = time.After(w.opts.Debounce)
			}
		case err, ok := <-w.watcher.Errors:
			if !ok {
				return
			}
			klog.ErrorS(err, "Manifests watcher error; relying on periodic rescans", "dir", w.dir)
		case <-pending:
			pending = nil
			w.rescan()
		case <-ticker.C:
			w.rewatchIfLost()
			w.rescan()
		}
	}
}

func (w *manifestWatcher) rescan() {
	err := w.loader.rescan()
	switch {
	case err == nil:
		w.lastErr = ""
	case err.Error() != w.lastErr:
		w.lastErr = err.Error()
		klog.ErrorS(err, "Cannot rescan manifests folder; keeping previously loaded objects", "dir", w.dir)
	}
}

// rewatchIfLost re-adds the folder watch after the folder was removed and
// recreated; inotify drops the watch with the old folder.
func (w *manifestWatcher) rewatchIfLost() {
	if slices.Contains(w.watcher.WatchList(), filepath.Clean(w.dir)) {
		return
	}
	if err := w.watcher.Add(w.dir); err == nil {
		klog.InfoS("Watching manifests folder again", "dir", w.dir)
	}
}
