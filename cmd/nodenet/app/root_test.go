package app

import (
	"bytes"
	"strings"
	"testing"
)

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := NewRootCommand()
	var out bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return out.String(), err
}

func TestVersionOutputs(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := execute(t, args...)
		if err != nil || !strings.HasPrefix(out, "nodenet v") {
			t.Errorf("%v: out=%q err=%v, want \"nodenet v...\"", args, out, err)
		}
	}
	out, err := execute(t, "--version=raw")
	if err != nil || !strings.Contains(out, "GitVersion") {
		t.Errorf("--version=raw: out=%q err=%v", out, err)
	}
}

func TestSubcommandsExist(t *testing.T) {
	root := NewRootCommand()
	for _, path := range [][]string{{"agent"}, {"dump"}, {"dump", "rules"}, {"dump", "policies"}, {"trace"}, {"cleanup"}, {"version"}} {
		cmd, _, err := root.Find(path)
		if err != nil || cmd.Name() != path[len(path)-1] {
			t.Errorf("nodenet %v not found: %v", path, err)
		}
	}
}

func TestAgentHasKubeProxyFlags(t *testing.T) {
	agent, _, err := NewRootCommand().Find([]string{"agent"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"kubeconfig", "master", "hostname-override", "proxy-mode", "cluster-cidr",
		"nodeport-addresses", "masquerade-all", "iptables-masquerade-bit",
		"iptables-min-sync-period", "iptables-sync-period", "config-sync-period",
		"healthz-bind-address", "metrics-bind-address", "manifests", "v", "vmodule", "logging-format",
	} {
		if agent.Flags().Lookup(name) == nil {
			t.Errorf("agent lacks --%s", name)
		}
	}
}

func TestAgentRejectsBadFlagBeforeStarting(t *testing.T) {
	_, err := execute(t, "agent", "--cluster-cidr=banana", "--healthz-bind-address=", "--metrics-bind-address=")
	if err == nil || err.Error() != `--cluster-cidr: "banana" is not a CIDR (want e.g. 10.244.0.0/16)` {
		t.Errorf("error = %v", err)
	}
}

func TestVersionFlagIsRootOnly(t *testing.T) {
	if _, err := execute(t, "agent", "--version"); err == nil || !strings.Contains(err.Error(), "unknown flag: --version") {
		t.Errorf("agent --version: err = %v, want unknown flag (not a silently started agent)", err)
	}
	if _, err := execute(t, "--version=maybe"); err == nil {
		t.Error("--version=maybe accepted")
	}
}
