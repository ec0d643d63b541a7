package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// objectKey identifies a manifest object across rescans.
type objectKey struct {
	kind      schema.GroupKind
	namespace string
	name      string
}

func (k objectKey) String() string {
	if k.namespace == "" {
		return k.kind.String() + " " + k.name
	}
	return k.kind.String() + " " + k.namespace + "/" + k.name
}

// manifestObject is one decoded document, remembered with where it came from
// so duplicates can be reported precisely.
type manifestObject struct {
	key  objectKey
	obj  runtime.Object
	sink *sink
	file string
	doc  int
}

// docProblem is a problem with one document (doc is 1-based).
type docProblem struct {
	doc int
	err error
}

// decodedFile is the result of decoding one file. A file with any failure
// must not replace the objects the file had before.
type decodedFile struct {
	objects     []manifestObject
	failures    []docProblem
	unsupported []docProblem
}

// boundKind is a table row together with the sink bound to the handlers
// (nil when nobody listens to that kind).
type boundKind struct {
	kind
	sink *sink
}

// decodeFile splits content into YAML documents (JSON is YAML) and decodes
// each one. Documents are numbered from 1 skipping empty ones (blank or
// comments only), so a licence header before the first "---" does not shift
// the numbers users see.
func decodeFile(file string, content []byte, kindsByGVK map[schema.GroupVersionKind]boundKind) decodedFile {
	var result decodedFile
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(content)))
	doc := 0
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return result
		}
		if err != nil {
			// The reader cannot resynchronise after a syntax error.
			result.failures = append(result.failures, docProblem{doc + 1, fmt.Errorf("%w: %w", ErrDecode, err)})
			return result
		}
		data, err := yaml.YAMLToJSON(raw)
		if err == nil && isEmptyDocument(data) {
			continue
		}
		doc++
		if err != nil {
			result.failures = append(result.failures, docProblem{doc, fmt.Errorf("%w: %w", ErrDecode, err)})
			continue
		}
		if err := checkNodeCount(data); err != nil {
			result.failures = append(result.failures, docProblem{doc, err})
			continue
		}
		obj, err := decodeObject(data, kindsByGVK)
		switch {
		case errors.Is(err, ErrUnsupportedKind):
			result.unsupported = append(result.unsupported, docProblem{doc, err})
		case err != nil:
			result.failures = append(result.failures, docProblem{doc, err})
		case obj.sink != nil:
			obj.file, obj.doc = file, doc
			result.objects = append(result.objects, *obj)
		}
	}
}

// decodeObject decodes one non-empty JSON document into a typed object. The
// returned object's sink is nil when nobody listens to its kind.
func decodeObject(data []byte, kindsByGVK map[schema.GroupVersionKind]boundKind) (*manifestObject, error) {
	// The client's scheme knows only nodenet's kinds: any other kind is
	// unsupported, and reported the same way as a known kind without a row.
	obj, gvk, err := codecs().UniversalDeserializer().Decode(data, nil, nil)
	if runtime.IsNotRegisteredError(err) {
		if gvk != nil {
			return nil, unsupportedKind(*gvk)
		}
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKind, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	bound, ok := kindsByGVK[*gvk]
	if !ok {
		return nil, unsupportedKind(*gvk)
	}
	key, err := normalizeMetadata(obj, bound.kind)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return &manifestObject{key: key, obj: obj, sink: bound.sink}, nil
}

func unsupportedKind(gvk schema.GroupVersionKind) error {
	return fmt.Errorf("%w: %s %s", ErrUnsupportedKind, gvk.GroupVersion(), gvk.Kind)
}

// isEmptyDocument is true for documents holding only comments or whitespace.
func isEmptyDocument(data []byte) bool {
	trimmed := bytes.TrimSpace(data)
	return len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null"))
}

// normalizeMetadata applies what the API server would: namespaced objects
// default to "default", cluster-scoped ones have no namespace.
func normalizeMetadata(obj runtime.Object, k kind) (objectKey, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return objectKey{}, err
	}
	if m.GetName() == "" {
		return objectKey{}, errors.New("metadata.name is empty")
	}
	switch {
	case !k.namespaced:
		m.SetNamespace("")
	case m.GetNamespace() == "":
		m.SetNamespace(metav1.NamespaceDefault)
	}
	return objectKey{kind: k.gvk.GroupKind(), namespace: m.GetNamespace(), name: m.GetName()}, nil
}
