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
	out, err := execute(t, "version")
	if err != nil || !strings.HasPrefix(out, "nodenet v") {
		t.Errorf("version: out=%q err=%v, want \"nodenet v...\"", out, err)
	}
	out, err = execute(t, "version", "--raw")
	if err != nil || !strings.Contains(out, "GitVersion") {
		t.Errorf("version --raw: out=%q err=%v", out, err)
	}
}

// TestOneWayToPrintVersion: the version command only, no --version flag
// anywhere (it used to exist on the root beside the command).
func TestOneWayToPrintVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"agent", "--version"}} {
		_, err := execute(t, args...)
		if err == nil || !strings.Contains(err.Error(), "unknown flag: --version") || ExitCode(err) != 2 {
			t.Errorf("%v: err = %v (exit %d), want unknown flag, exit 2", args, err, ExitCode(err))
		}
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

// TestHelpHasNoBoolNoise: pflag 1.1 writes "--help[=true|false]"; the
// help lists boolean flags by their names only, in every command.
func TestHelpHasNoBoolNoise(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"agent", "--help"}, {"dump", "--help"}, {"trace", "-h"}, {"version", "--help"}} {
		out, err := execute(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if strings.Contains(out, "[=true|false]") {
			t.Errorf("%v help has [=true|false]:\n%s", args, out)
		}
		if !strings.Contains(out, "-h, --help ") {
			t.Errorf("%v help lacks the -h, --help line:\n%s", args, out)
		}
	}
}

// TestRootHelpSaysCNIAndExitCodes: the root help says how the binary is
// the CNI plugin, where its config goes, and what exit statuses mean.
func TestRootHelpSaysCNIAndExitCodes(t *testing.T) {
	out, err := execute(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CNI_COMMAND", "--cni-conf-dir", "/etc/cni/net.d/10-nodenet.conflist", "/opt/cni/bin/nodenet",
		"Exit status", "0  success", "1  trace: the connection is refused", "2  bad usage", "completion"} {
		if !strings.Contains(out, want) {
			t.Errorf("root help lacks %q:\n%s", want, out)
		}
	}
}

// TestUsageErrorsExit2: unknown commands, flags, extra arguments and bad
// values are usage errors in every command, as the root help documents.
func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"}, {"--bogus"}, {"dump", "extra"}, {"dump", "-o", "xml"}, {"dump", "policies", "--nope"},
		{"trace", "extra"}, {"cleanup", "x"}, {"version", "x"}, {"dump", "rules", "--bogus"},
	} {
		_, err := execute(t, args...)
		if code := ExitCode(err); code != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, code, err)
		}
	}
}

// TestCompletion: `nodenet completion SHELL` writes a script that names
// the binary's subcommands' completion function.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_nodenet", "zsh": "#compdef nodenet", "fish": "complete -c nodenet"} {
		out, err := execute(t, "completion", shell)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("completion %s: err=%v, output lacks %q (%d bytes)", shell, err, want, len(out))
		}
	}
	// Cobra's __complete is what the scripts call back: it completes
	// subcommands and the -o values.
	out, _ := execute(t, "__complete", "dump", "-o", "")
	for _, f := range outputFormats {
		if !strings.Contains(out, string(f)) {
			t.Errorf("completing dump -o: %q lacks %s", out, f)
		}
	}
}
