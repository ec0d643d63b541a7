package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Problems passed to ManifestOptions.Reporter can be matched with errors.Is.
var (
	// ErrDecode: a document could not be decoded; the whole file keeps the
	// objects it had before.
	ErrDecode = errors.New("cannot decode document")
	// ErrUnsupportedKind: the document is valid but of a kind no source
	// handles; it is skipped, the rest of the file applies.
	ErrUnsupportedKind = errors.New("unsupported kind")
	// ErrDuplicateObject: an object already defined earlier (by file name,
	// then document order); the earlier definition wins.
	ErrDuplicateObject = errors.New("object already defined")
	// ErrReadFile: the file could not be read; it keeps its previous objects.
	ErrReadFile = errors.New("cannot read file")
)

// ManifestOptions tunes RunManifestsWithOptions. The zero value is what
// RunManifests uses.
type ManifestOptions struct {
	// Reporter, if set, is called (from the loading goroutine) for every
	// problem found, in addition to the klog error line. file is the full
	// path; doc is the 1-based document index, 0 for whole-file problems.
	Reporter func(file string, doc int, err error)
	// Debounce is how long to wait after the first change event before
	// rescanning, so a burst of events gives one rescan. Default 100ms.
	Debounce time.Duration
	// RescanPeriod is the safety-net full rescan, for changes inotify cannot
	// see (e.g. a symlink target edited elsewhere). Default 5s.
	RescanPeriod time.Duration
}

const (
	defaultDebounce     = 100 * time.Millisecond
	defaultRescanPeriod = 5 * time.Second
)

func (o ManifestOptions) withDefaults() ManifestOptions {
	if o.Debounce <= 0 {
		o.Debounce = defaultDebounce
	}
	if o.RescanPeriod <= 0 {
		o.RescanPeriod = defaultRescanPeriod
	}
	return o
}

// RunManifests loads every *.yaml, *.yml and *.json file of dir (not
// recursive, hidden files skipped), delivers the objects to h, calls each
// handler's Synced callback once, and returns. A goroutine then keeps dir in
// sync with h until ctx is done. Only the Node named nodeName reaches
// h.Nodes. It returns an error only when dir cannot be watched or listed;
// bad documents are logged and skipped (see RunManifestsWithOptions).
func RunManifests(ctx context.Context, dir, nodeName string, h Handlers) error {
	return RunManifestsWithOptions(ctx, dir, nodeName, h, ManifestOptions{})
}

// RunManifestsWithOptions is RunManifests with tuning and a problem reporter.
//
// Bad input loses nothing: if any document of a file fails to decode, that
// file keeps exactly the objects it had before, while the other files apply
// normally. Documents of unsupported kinds are skipped. When two documents
// define the same (kind, namespace, name), the first one (files sorted by
// name) wins.
func RunManifestsWithOptions(ctx context.Context, dir, nodeName string, h Handlers, opts ManifestOptions) error {
	opts = opts.withDefaults()
	loader := newManifestLoader(dir, nodeName, h, opts.Reporter)

	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("creating manifests watcher: %w", err)
	}
	// Watch before the first scan so that an edit made during it is seen.
	if err := watcher.Add(dir); err != nil {
		_ = watcher.Close()
		return fmt.Errorf("watching manifests folder %s: %w", dir, err)
	}
	if err := loader.rescan(); err != nil {
		_ = watcher.Close()
		return err
	}
	loader.markSynced()

	w := &manifestWatcher{loader: loader, watcher: watcher, dir: dir, opts: opts}
	go w.run(ctx)
	return nil
}
