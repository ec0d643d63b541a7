package proxy

import (
	"errors"
	"sort"
	"strings"
)

// conflictError folds the lost NodePorts of one Service into one error, in
// a fixed order so the same conflict always reads the same (and is
// reported once).
func conflictError(lost []string) error {
	sort.Strings(lost)
	return errors.New(strings.Join(lost, "; "))
}
