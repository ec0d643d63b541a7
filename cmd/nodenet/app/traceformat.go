package app

import (
	"strings"

	"github.com/nodenet/nodenet/netpol/netpolview"
)

// formatTrace renders a verdict for a human:
//
//	deny
//	  ingress of x/db: denied, isolated by x/db-allow and no rule allows ...
//
// The first line alone is enough for scripts (or use -o json).
func formatTrace(view netpolview.TraceView) string {
	var b strings.Builder
	if view.Allowed {
		b.WriteString("allow\n")
	} else {
		b.WriteString("deny\n")
	}
	for _, r := range view.Reasons {
		b.WriteString("  ")
		b.WriteString(r)
		b.WriteByte('\n')
	}
	return b.String()
}
