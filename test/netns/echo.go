package netns

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EchoBin is the path of the nnt-echo helper; suites set it in TestMain.
var EchoBin = "nnt-echo"

// StartEcho starts nnt-echo in the pod answering on TCP and UDP port (and
// HTTP on httpPort when non-zero) and waits until it listens.
func (p *Pod) StartEcho(t testing.TB, port, httpPort int) *Proc {
	t.Helper()
	args := []string{EchoBin, "serve", "-name", p.PodName,
		"-tcp", ":" + strconv.Itoa(port), "-udp", ":" + strconv.Itoa(port)}
	if httpPort != 0 {
		args = append(args, "-http", ":"+strconv.Itoa(httpPort))
	}
	proc := Start(t, p.Name, "echo "+p.PodName, args...)
	if err := proc.WaitOutput(10*time.Second, "ready"); err != nil {
		t.Fatal(err)
	}
	return proc
}

// Answer is one attempt of nnt-echo dial: who answered and the source
// address they saw, or the error kind ("refused", "timeout", ...).
type Answer struct {
	Pod    string // endpoint that answered ("" on error)
	Source string // remote IP the endpoint saw
	Err    string // error kind, "" on success
	Line   string // raw line
}

// Dial makes n attempts from namespace ns to addr with nnt-echo dial (extra
// are more dial flags, e.g. "-sport", "40000"). It does not fail the test:
// callers assert on the answers (and may poll).
func Dial(ns, proto, addr string, n int, timeout time.Duration, extra ...string) ([]Answer, error) {
	argv := []string{EchoBin, "dial", "-proto", proto, "-addr", addr,
		"-n", strconv.Itoa(n), "-timeout", timeout.String()}
	out, runErr := Exec(ns, append(argv, extra...)...)
	answers := parseAnswers(out)
	if len(answers) != n {
		return answers, fmt.Errorf("dial %s %s from %s: got %d answers, want %d (%v): %s",
			proto, addr, ns, len(answers), n, runErr, out)
	}
	return answers, nil
}

func parseAnswers(out string) []Answer {
	var answers []Answer
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		answers = append(answers, parseAnswer(line))
	}
	return answers
}

func parseAnswer(line string) Answer {
	f := strings.Fields(line)
	a := Answer{Line: line}
	if len(f) >= 2 && f[0] == "ERR" {
		a.Err = f[1]
		return a
	}
	if len(f) != 2 {
		a.Err = "garbled"
		return a
	}
	a.Pod = f[0]
	if host, _, err := net.SplitHostPort(f[1]); err == nil {
		a.Source = host
	}
	return a
}
