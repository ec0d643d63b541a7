package netns

import "testing"

func TestLineDiff(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"x\ny", "y\nx", ""},
		{"x\ny\ny", "y\nz", "- x\n- y\n+ z"},
	} {
		if got := LineDiff(tc.a, tc.b); got != tc.want {
			t.Errorf("LineDiff(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}
