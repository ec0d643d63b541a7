package nfwatch

import (
	"os"
	"testing"
	"time"
)

// TestOursUntilLingerPassed: a registered child's transactions are
// nodenet's while it runs and for ownLinger after it finished (its
// announcement may be read late), then its PID is someone else's again.
func TestOursUntilLingerPassed(t *testing.T) {
	const pid = 1 << 30 // above pid_max: no real process has it
	if isOurs(pid) {
		t.Fatal("an unregistered PID is ours")
	}
	done := Ours(pid)
	if !isOurs(pid) {
		t.Fatal("a running child is not ours")
	}
	done()
	if !isOurs(pid) {
		t.Fatal("a child that just finished is not ours")
	}
	own.Lock()
	pruneLocked(time.Now().Add(ownLinger + time.Second))
	own.Unlock()
	if isOurs(pid) {
		t.Fatal("still ours after ownLinger")
	}
	if !isOurs(uint32(os.Getpid())) {
		t.Fatal("this process is not ours")
	}
}

func TestReportString(t *testing.T) {
	r := Report{By: "iptables (pid 7)", Changes: []Change{
		{Family: "ip", Table: "nat", Chain: "NODENET-SVC-0A", Verb: "rule deleted"},
		{Family: "ip", Table: "filter", Verb: "table deleted"},
	}}
	want := "rule deleted: ip nat NODENET-SVC-0A; table deleted: ip filter by iptables (pid 7)"
	if got := r.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
