package vm

import (
	"fmt"
	"strings"
)

// Suite is what one test binary reported inside the guest.
type Suite struct {
	Name  string
	Tests []*TestResult
	// Ended: the guest printed the binary's end line; RC is its exit code.
	Ended bool
	RC    int
	// Output holds lines outside any test (build errors, panics in
	// TestMain, the summary).
	Output []string
}

// TestResult is one top-level test of a suite; Status is PASS, FAIL, SKIP
// or "" when the test never finished (a panic, a timeout).
type TestResult struct {
	Name   string
	Status string
	Output []string
}

// ParseConsole splits the guest's console into suites, framed by the
// NNT-VM-BEGIN/END lines /init prints, and each suite's `go test -v`
// output into top-level tests. done reports whether /init got to the end.
func ParseConsole(lines []string) (suites []*Suite, done bool) {
	var s *Suite
	var cur *TestResult
	byName := map[string]*TestResult{}
	for _, line := range lines {
		if name, ok := strings.CutPrefix(line, "NNT-VM-BEGIN "); ok {
			s, cur, byName = &Suite{Name: name}, nil, map[string]*TestResult{}
			suites = append(suites, s)
			continue
		}
		if strings.HasPrefix(line, "NNT-VM-DONE") {
			done = true
			continue
		}
		if s == nil {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "NNT-VM-END "); ok {
			s.Ended = true
			fmt.Sscanf(rest[strings.Index(rest, "rc=")+3:], "%d", &s.RC)
			s, cur = nil, nil
			continue
		}
		cur = s.consume(line, cur, byName)
	}
	return suites, done
}

// consume files one line under the test it belongs to and returns the
// test that later lines belong to.
func (s *Suite) consume(line string, cur *TestResult, byName map[string]*TestResult) *TestResult {
	for _, prefix := range []string{"=== RUN   ", "=== CONT  ", "=== NAME  "} {
		if name, ok := strings.CutPrefix(line, prefix); ok {
			top, _, _ := strings.Cut(name, "/")
			t := byName[top]
			if t == nil {
				t = &TestResult{Name: top}
				byName[top] = t
				s.Tests = append(s.Tests, t)
			}
			return t
		}
	}
	for _, status := range []string{"PASS", "FAIL", "SKIP"} {
		if rest, ok := strings.CutPrefix(line, "--- "+status+": "); ok {
			name, _, _ := strings.Cut(rest, " ")
			if t := byName[name]; t != nil {
				t.Status = status
				t.Output = append(t.Output, line)
				return nil
			}
		}
	}
	if cur != nil {
		cur.Output = append(cur.Output, line)
	} else {
		s.Output = append(s.Output, line)
	}
	return cur
}
