package vm

import (
	"strings"
	"testing"
)

func TestParseConsole(t *testing.T) {
	console := `boot noise
NNT-VM-BEGIN guest
=== RUN   TestA
    a_test.go:1: hello
--- PASS: TestA (0.01s)
=== RUN   TestB
=== RUN   TestB/sub
    --- FAIL: TestB/sub (0.00s)
--- FAIL: TestB (0.00s)
=== RUN   TestC
panic: boom
FAIL
NNT-VM-END guest rc=1
NNT-VM-BEGIN other
=== RUN   TestD
--- SKIP: TestD (0.00s)
`
	suites, done := ParseConsole(strings.Split(console, "\n"))
	if done {
		t.Error("done without NNT-VM-DONE")
	}
	if len(suites) != 2 {
		t.Fatalf("got %d suites, want 2", len(suites))
	}
	g := suites[0]
	if !g.Ended || g.RC != 1 {
		t.Errorf("guest: ended %v rc %d, want true 1", g.Ended, g.RC)
	}
	want := map[string]string{"TestA": "PASS", "TestB": "FAIL", "TestC": ""}
	for _, tr := range g.Tests {
		if want[tr.Name] != tr.Status {
			t.Errorf("%s: status %q, want %q", tr.Name, tr.Status, want[tr.Name])
		}
		delete(want, tr.Name)
	}
	if len(want) != 0 {
		t.Errorf("tests not seen: %v", want)
	}
	if got := strings.Join(g.Tests[2].Output, "\n"); !strings.Contains(got, "panic: boom") {
		t.Errorf("TestC output %q lacks the panic", got)
	}
	if o := suites[1]; o.Ended || len(o.Tests) != 1 || o.Tests[0].Status != "SKIP" {
		t.Errorf("other: %+v", o)
	}
}
