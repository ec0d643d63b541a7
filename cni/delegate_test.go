package cni

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// fakePlugin writes an executable script named name into a fresh CNI_PATH
// entry (after an empty one, so the lookup walks the list).
func fakePlugin(t *testing.T, name, script string) {
	t.Helper()
	empty, dir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CNI_PATH", empty+string(filepath.ListSeparator)+dir)
}

func TestDelegatePassesVerbAndStdin(t *testing.T) {
	t.Setenv("CNI_COMMAND", "ADD") // ours; the delegate must see its own verb
	fakePlugin(t, "echoipam", `echo "{\"cmd\":\"$CNI_COMMAND\",\"stdin\":$(cat)}"`)
	out, err := delegate("DEL", "echoipam", []byte(`{"cniVersion":"1.1.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), `{"cmd":"DEL","stdin":{"cniVersion":"1.1.0"}}`; got != want {
		t.Errorf("delegate saw %s, want %s", got, want)
	}
}

func TestDelegateAddTakesConfigVersion(t *testing.T) {
	fakePlugin(t, "oldipam", `echo '{"ips":[{"address":"10.1.0.5/24"}]}'`)
	r, err := delegateAdd("oldipam", []byte(`{"cniVersion":"1.0.0","name":"n"}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := current.NewResultFromResult(r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() != "1.0.0" || len(res.IPs) != 1 || res.IPs[0].Address.String() != "10.1.0.5/24" {
		t.Errorf("result %s %+v, want version 1.0.0 and 10.1.0.5/24", r.Version(), res.IPs)
	}
}

func TestDelegateErrors(t *testing.T) {
	tests := []struct {
		name, script string
		wantCode     uint
		wantMsg      string
	}{
		{"error object keeps its code", `echo '{"code":11,"msg":"pool empty"}'; exit 1`, 11, "pool empty"},
		{"stderr only", `echo boom >&2; exit 3`, 0, "boom"},
		{"silent", `exit 4`, 0, "no error message"},
		{"garbage", `echo nope; exit 1`, 0, "error parsing its diagnostic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakePlugin(t, "badipam", tt.script)
			_, err := delegate("ADD", "badipam", []byte(`{}`))
			var e *types.Error
			if !errors.As(err, &e) || e.Code != tt.wantCode || !strings.Contains(e.Error(), tt.wantMsg) {
				t.Errorf("error %#v, want code %d and %q", err, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestDelegateFindsNoPlugin(t *testing.T) {
	t.Setenv("CNI_PATH", t.TempDir())
	for _, name := range []string{"absent", "../escape", ""} {
		if _, err := delegate("ADD", name, nil); err == nil {
			t.Errorf("plugin %q: want an error", name)
		}
	}
}
