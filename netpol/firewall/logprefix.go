package firewall

import (
	"strings"

	"github.com/nodenet/nodenet/netpol"
)

// maxLogPrefix is NFLOG's limit (the kernel's 64-byte buffer with NUL).
const maxLogPrefix = 63

// denyPrefix names what a pod chain's log line denies: the direction, the
// pod and, when exactly one policy isolates it, that policy.
func denyPrefix(pod *netpol.PodRules, d netpol.Direction) string {
	p := "nodenet deny " + d.String() + " " + pod.Pod.String()
	if by := pod.Direction(d).IsolatedBy; len(by) == 1 {
		p += " by " + by[0].String()
	}
	return p
}

// logPrefix makes s safe inside the double quotes of a restore line and
// at most 63 bytes; longer prefixes are cut, always at the same place.
func logPrefix(s string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" ./:_-", r):
			return r
		}
		return '_'
	}, s)
	if len(clean) > maxLogPrefix {
		clean = clean[:maxLogPrefix]
	}
	return clean
}
