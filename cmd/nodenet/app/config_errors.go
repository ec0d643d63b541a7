package app

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// oneLineError keeps a multi-line decoder error (YAML's "unmarshal
// errors:\n  line 4: ...") on one line, still unwrappable.
type oneLineError struct{ err error }

func (e oneLineError) Error() string {
	return strings.Join(strings.Fields(e.err.Error()), " ")
}

func (e oneLineError) Unwrap() error { return e.err }

// badFieldPath finds the first field of data (a YAML object) whose value
// does not decode into its Go field of type t. Needed because errors from
// custom unmarshalers, such as metav1.Duration's "time: invalid duration",
// do not say which field they came from. Empty when none is found.
func badFieldPath(data []byte, t reflect.Type) string {
	var obj map[string]json.RawMessage
	if j, err := yaml.YAMLToJSON(data); err != nil || json.Unmarshal(j, &obj) != nil {
		return ""
	}
	return badFieldIn("", obj, t)
}

func badFieldIn(prefix string, obj map[string]json.RawMessage, t reflect.Type) string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic when several fields are bad
	for _, k := range keys {
		f, ok := fieldByJSONName(t, k)
		if !ok {
			continue // unknown fields are the strict decoder's to report
		}
		if err := json.Unmarshal(obj[k], reflect.New(f.Type).Interface()); err == nil {
			continue
		}
		var sub map[string]json.RawMessage
		if f.Type.Kind() == reflect.Struct && json.Unmarshal(obj[k], &sub) == nil {
			if path := badFieldIn(prefix+k+".", sub, f.Type); path != "" {
				return path
			}
		}
		return prefix + k
	}
	return ""
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); jsonName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
