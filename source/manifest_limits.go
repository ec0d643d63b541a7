package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits on what the manifests folder may hold, so that a file written by
// mistake (a 50 MB dump took the agent to ~358 MB) cannot take the node's
// memory: decoding costs several times the file's size.
const (
	// MaxManifestFileBytes is the largest manifest file read: 16 MiB,
	// ten times etcd's default object limit (1.5 MiB), so thousands of
	// objects per file still fit.
	MaxManifestFileBytes = 16 << 20
	// MaxDocumentNodes is the most YAML nodes (mappings, sequences and
	// scalars, as their JSON values) one document may have: an
	// EndpointSlice at its 1,000-endpoint limit has about 20,000.
	MaxDocumentNodes = 200_000
)

// ErrTooLarge: a file or document over the limits above; the file keeps
// the objects it had before.
var ErrTooLarge = errors.New("over the manifest size limit")

// readManifest reads path, refusing a file larger than
// MaxManifestFileBytes before reading it (and one that grows past it
// while being read) rather than after.
func readManifest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > MaxManifestFileBytes {
		return nil, tooLargeFile(info.Size())
	}
	content, err := io.ReadAll(io.LimitReader(f, MaxManifestFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(content) > MaxManifestFileBytes {
		return nil, tooLargeFile(int64(len(content)))
	}
	return content, nil
}

func tooLargeFile(size int64) error {
	return fmt.Errorf("%w: the file has %d bytes or more, the limit is %d (%d MiB)",
		ErrTooLarge, size, MaxManifestFileBytes, MaxManifestFileBytes>>20)
}

// checkNodeCount refuses a JSON document with more than MaxDocumentNodes
// values (object keys are not nodes of their own), counted by streaming
// tokens before any typed decoding.
func checkNodeCount(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	// Per open container: whether it is an object, and whether a key
	// comes next in it.
	var objects, wantKey []bool
	isObj := func() bool { return len(objects) > 0 && objects[len(objects)-1] }
	nodes := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // EOF, or not JSON: the decoder reports that
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			objects, wantKey = objects[:len(objects)-1], wantKey[:len(wantKey)-1]
			if isObj() {
				wantKey[len(wantKey)-1] = true
			}
			continue
		}
		if isObj() && wantKey[len(wantKey)-1] {
			wantKey[len(wantKey)-1] = false // tok is a key
			continue
		}
		if nodes++; nodes > MaxDocumentNodes {
			return fmt.Errorf("%w: the document has more than %d nodes", ErrTooLarge, MaxDocumentNodes)
		}
		if d, ok := tok.(json.Delim); ok {
			objects, wantKey = append(objects, d == '{'), append(wantKey, d == '{')
			continue
		}
		if isObj() {
			wantKey[len(wantKey)-1] = true
		}
	}
}
