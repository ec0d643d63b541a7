package app

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nodenet/nodenet/packettrace"
)

// formatTrace renders an answer for a human:
//
//	from     10.244.1.20 (default/client)
//	to       10.96.0.10:80/TCP (default/web:http)
//	outcome  delivered
//
//	  1  source      10.244.1.20 is pod default/client
//	  2  frontend    matched ClusterIP 10.96.0.10:80/TCP of Service default/web:http
//	  ...
//
//	  ENDPOINT          POD            CHANCE  MASQUERADE  POLICY   OUTCOME
//	  10.244.1.10:8080  default/web-a  1/2     no          allowed  delivered
//
// Wide adds, per endpoint, the policies that decided. The outcome line
// alone is enough for scripts (or use -o json).
func formatTrace(a packettrace.Answer, wide bool) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "from\t%s\n", a.Source)
	fmt.Fprintf(tw, "to\t%s\n", a.Destination)
	fmt.Fprintf(tw, "outcome\t%s\n", a.Outcome)
	_ = tw.Flush() // writes to a strings.Builder cannot fail
	b.WriteByte('\n')
	for i, s := range a.Steps {
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", i+1, s.Stage, s.Detail)
	}
	_ = tw.Flush()
	if len(a.Endpoints) == 0 {
		return b.String()
	}
	b.WriteByte('\n')
	header := "  ENDPOINT\tPOD\tCHANCE\tMASQUERADE\tPOLICY\tOUTCOME"
	if wide {
		header += "\tWHY"
	}
	fmt.Fprintln(tw, header)
	for _, ep := range a.Endpoints {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s", ep.Address, orDash(ep.Pod), chance(ep.Probability), yesNo(ep.Masquerade), policyWord(ep.PolicyAllowed), ep.Outcome)
		if wide {
			fmt.Fprintf(tw, "\t%s", strings.Join(ep.PolicyReasons, "; "))
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
	return b.String()
}

// chance prints 1/n probabilities as fractions, as the rules spread them.
func chance(p float64) string {
	if p >= 1 {
		return "always"
	}
	return fmt.Sprintf("1/%.0f", 1/p)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func policyWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}
