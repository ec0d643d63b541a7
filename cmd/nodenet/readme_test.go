package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// demoShow is a command hack/demo.sh runs and prints: `show RC nodenet ...`.
var demoShow = regexp.MustCompile(`(?m)^\s*show [0-9]+ (nodenet .*)$`)

// TestREADMEExamplesAreTheDemos: the README's example commands are exactly
// the ones `make demo` runs, so every example is known to work on the
// demo's node (the README once showed a trace of a pod the demo lacked).
func TestREADMEExamplesAreTheDemos(t *testing.T) {
	readme := readFile(t, "../../README.md")
	script := readFile(t, "../../hack/demo.sh")
	var demo []string
	for _, m := range demoShow.FindAllStringSubmatch(script, -1) {
		demo = append(demo, m[1])
	}
	examples := demoBlock(t, readme)
	slices.Sort(demo)
	demo = slices.Compact(demo)
	slices.Sort(examples)
	if !slices.Equal(examples, demo) {
		t.Errorf("README's demo examples %q, hack/demo.sh shows %q: keep them equal", examples, demo)
	}
	// Any trace example elsewhere in the README must be one the demo runs.
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "nodenet trace ") && !slices.Contains(demo, line) {
			t.Errorf("README example %q is not run by the demo", line)
		}
	}
}

// demoBlock is the first ```sh block after the "What `make demo` shows"
// heading, one command a line.
func demoBlock(t *testing.T, readme string) []string {
	_, after, ok := strings.Cut(readme, "### What `make demo` shows")
	if !ok {
		t.Fatal("README has no \"What `make demo` shows\" section")
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatal("the demo section has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	return strings.Split(strings.TrimSpace(block), "\n")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
