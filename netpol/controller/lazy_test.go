package controller

import (
	"errors"
	"testing"

	"github.com/nodenet/nodenet/netpol"
)

func TestLazyRetriesCreation(t *testing.T) {
	inner := &fakeEnforcer{}
	attempts := 0
	e := Lazy(func() (netpol.Enforcer, error) {
		attempts++
		if attempts == 1 {
			return nil, errors.New("ipset: protocol not supported")
		}
		return inner, nil
	})
	m := &netpol.Model{}
	if err := e.Sync(m, false); err == nil {
		t.Fatal("a failed creation must fail the Sync, so the controller retries")
	}
	if err := e.Sync(m, false); err != nil {
		t.Fatal(err)
	}
	if err := e.Sync(m, false); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || inner.count() != 2 || !inner.calls[0].full || inner.calls[1].full {
		t.Errorf("attempts=%d calls=%+v, want 2 attempts, a full first Sync then a partial one", attempts, inner.calls)
	}
}
