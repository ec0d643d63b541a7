package forwardorder

import "testing"

func TestPosition(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []string
		want  int
	}{
		{"empty chain", []string{"-P FORWARD ACCEPT"}, 1},
		{"no firewall", []string{"-P FORWARD DROP", "-A FORWARD -j DOCKER"}, 1},
		{"firewall first", []string{"-P FORWARD ACCEPT", `-A FORWARD -m comment --comment "x" -j NODENET-FW`}, 2},
		{"firewall pushed down", []string{"-P FORWARD ACCEPT", "-A FORWARD -j A", "-A FORWARD -j B", "-A FORWARD -j NODENET-FW ", "-A FORWARD -j C"}, 4},
		{"a chain named like it is not it", []string{"-A FORWARD -j NODENET-FW-EGRESS"}, 1},
	} {
		if got := Position(tc.rules); got != tc.want {
			t.Errorf("%s: Position = %d, want %d", tc.name, got, tc.want)
		}
	}
}
