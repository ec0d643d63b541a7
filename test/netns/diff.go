package netns

import "strings"

// LineDiff lists the lines only one of a and b has ("- " only in a, "+ "
// only in b), for failure messages comparing rulesets; "" when both have
// the same lines, in any order.
func LineDiff(a, b string) string {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		count[l]--
	}
	var minus, plus []string
	for _, l := range strings.Split(a, "\n") {
		if count[l] > 0 {
			minus = append(minus, "- "+l)
			count[l]--
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if count[l] < 0 {
			plus = append(plus, "+ "+l)
			count[l]++
		}
	}
	return strings.Join(append(minus, plus...), "\n")
}
