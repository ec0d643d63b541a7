package controller

import "testing"

// tamperEnforcer is a fakeEnforcer whose kernel state is what tampered says.
type tamperEnforcer struct {
	fakeEnforcer
	tampered string
}

func (e *tamperEnforcer) Tampered() (string, error) { return e.tampered, nil }

// TestReportedChangeRepairsOnlyWhenTampered: a reported change makes the
// next sync ask the enforcer, and repair in full only when the rules were
// undone; the enforcer's own changes (nothing undone) cost no sync.
func TestReportedChangeRepairsOnlyWhenTampered(t *testing.T) {
	e := &tamperEnforcer{}
	c := New(Config{NodeName: thisNode}, e)
	syncAll(handlersOf(c.store))
	mustSync(t, c)

	c.suspects.add("rule added to ip filter NODENET-FW-INGRESS")
	mustSync(t, c)
	if n := e.count(); n != 1 {
		t.Fatalf("%d enforcer calls after its own change was reported, want 1", n)
	}
	e.tampered = "chain NODENET-FW-INGRESS has 0 rules, 3 were applied"
	c.suspects.add("rule deleted from ip filter NODENET-FW-INGRESS")
	mustSync(t, c)
	if call := e.last(t); e.count() != 2 || !call.full {
		t.Fatalf("after tampering: %d calls, last full %t; want a second, full sync", e.count(), call.full)
	}
	mustSync(t, c)
	if e.count() != 2 {
		t.Error("a sync without reports checked or synced again")
	}
}

// setsEnforcer is a fakeEnforcer whose sets' state is what setsTampered
// says.
type setsEnforcer struct {
	fakeEnforcer
	setsTampered string
}

func (e *setsEnforcer) SetsTampered() (string, error) { return e.setsTampered, nil }

// TestSetCheckRepairsOnlyWhenSetsDiffer: a due set check makes the next
// sync ask the enforcer, and repair in full only when a set lost members.
func TestSetCheckRepairsOnlyWhenSetsDiffer(t *testing.T) {
	e := &setsEnforcer{}
	c := New(Config{NodeName: thisNode}, e)
	syncAll(handlersOf(c.store))
	mustSync(t, c)

	c.suspects.setsDue()
	mustSync(t, c)
	if n := e.count(); n != 1 {
		t.Fatalf("%d enforcer calls after a check that found nothing, want 1", n)
	}
	e.setsTampered = "set NNP-FW-KNOWN has 0 members, 3 were applied"
	c.suspects.setsDue()
	mustSync(t, c)
	if call := e.last(t); e.count() != 2 || !call.full {
		t.Fatalf("after a flushed set: %d calls, last full %t; want a second, full sync", e.count(), call.full)
	}
}
