package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/agent/serve"
)

func TestDumpURL(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1:10249":        "http://127.0.0.1:10249/dump",
		"http://10.0.0.1:10249/": "http://10.0.0.1:10249/dump",
		"https://node-a:10249":   "https://node-a:10249/dump",
		"[fd00::1]:10249":        "http://[fd00::1]:10249/dump",
	}
	for in, want := range tests {
		if got := dumpURL(in); got != want {
			t.Errorf("dumpURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFetchDump(t *testing.T) {
	want := sampleDumpView()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != serve.DumpPath {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(want)
	}))
	defer srv.Close()

	got, err := fetchDump(context.Background(), strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if formatDump(got) != formatDump(want) {
		t.Errorf("fetched view differs:\n%s\nwant\n%s", formatDump(got), formatDump(want))
	}

	var out bytes.Buffer
	if err := printDump(&out, got, "json"); err != nil {
		t.Fatal(err)
	}
	var roundTrip serve.DumpView
	if err := json.Unmarshal(out.Bytes(), &roundTrip); err != nil {
		t.Fatalf("-o json is not JSON: %v", err)
	}
}

func TestFetchDumpErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	if _, err := fetchDump(context.Background(), srv.URL); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("error = %v, want the HTTP status", err)
	}

	srv.Close() // nothing listens any more
	if _, err := fetchDump(context.Background(), srv.URL); err == nil || !strings.Contains(err.Error(), "--metrics-bind-address") {
		t.Errorf("error = %v, want a hint about the agent", err)
	}
}

func TestDumpRejectsUnknownOutput(t *testing.T) {
	root := NewRootCommand()
	root.SetArgs([]string{"dump", "-o", "yaml"})
	root.SetOut(new(bytes.Buffer))
	root.SetErr(new(bytes.Buffer))
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), `-o/--output: "yaml"`) {
		t.Errorf("error = %v", err)
	}
}
