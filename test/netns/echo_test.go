package netns

import "testing"

// TestParseAnswer covers the dial output format (no root needed).
func TestParseAnswer(t *testing.T) {
	for line, want := range map[string]Answer{
		"pod-a 10.244.1.12:40000": {Pod: "pod-a", Source: "10.244.1.12"},
		"ERR refused dial tcp 10.96.0.20:80: connect: connection refused": {Err: "refused"},
		"ERR timeout read udp: i/o timeout":                               {Err: "timeout"},
		"something unexpected here":                                       {Err: "garbled"},
	} {
		got := parseAnswer(line)
		want.Line = line
		if got != want {
			t.Errorf("parseAnswer(%q) = %+v, want %+v", line, got, want)
		}
	}
	if got := parseAnswers("pod-a 1.2.3.4:5\n\npod-b 1.2.3.4:6\n"); len(got) != 2 || got[1].Pod != "pod-b" {
		t.Errorf("parseAnswers: %+v", got)
	}
}
