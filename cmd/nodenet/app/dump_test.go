package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

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
	if formatDump(got, false) != formatDump(want, false) {
		t.Errorf("fetched view differs:\n%s\nwant\n%s", formatDump(got, false), formatDump(want, false))
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
	_, err := execute(t, "dump", "-o", "xml")
	if err == nil || !strings.Contains(err.Error(), `"xml" is not one of table, wide, json, yaml`) || ExitCode(err) != 2 {
		t.Errorf("error = %v (exit %d)", err, ExitCode(err))
	}
}

// TestPrintViewFormats: -o json and -o yaml print the view's own fields
// (the agent's JSON names), table and wide the human layout.
func TestPrintViewFormats(t *testing.T) {
	view := sampleDumpView()
	for format, want := range map[outputFormat]string{
		outputJSON:  `"clusterIPs": [`,
		outputYAML:  "clusterIPs:\n  - 10.96.0.10\n",
		outputTable: "  ClusterIP     10.96.0.10:80\n",
		outputWide:  "externalTrafficPolicy: Local (health check on node port 31000)",
	} {
		var out bytes.Buffer
		if err := printDump(&out, view, format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("-o %s lacks %q:\n%s", format, want, out.String())
		}
	}
	var out bytes.Buffer
	if err := printDump(&out, view, outputYAML); err != nil {
		t.Fatal(err)
	}
	var back serve.DumpView
	if err := yaml.Unmarshal(out.Bytes(), &back); err != nil || len(back.ServicePorts) != 3 {
		t.Errorf("-o yaml does not read back: %v, %d ports", err, len(back.ServicePorts))
	}
}
