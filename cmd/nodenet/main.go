// Command nodenet is the per-node networking binary: the kube-proxy
// replacement (subcommand agent and its tools) and, when a container
// runtime executes it, the CNI plugin.
package main

import (
	"fmt"
	"os"

	"k8s.io/component-base/cli"

	"github.com/nodenet/nodenet/cmd/nodenet/app"
	"github.com/nodenet/nodenet/cni"
	// Before anything heavy initializes: tunes the runtime when the
	// process is a CNI plugin invocation.
	_ "github.com/nodenet/nodenet/internal/plugininit"
)

func main() {
	if isCNIInvocation(os.Getenv) {
		cni.PluginMain()
		return
	}
	// RunNoErrOutput sets up logging flags and klog; errors are printed
	// here, once, as a plain line rather than a klog record.
	if err := cli.RunNoErrOutput(app.NewRootCommand()); err != nil {
		// An app.ExitError may carry no message (trace's deny) and
		// another status than 1.
		if msg := err.Error(); msg != "" {
			fmt.Fprintf(os.Stderr, "Error: %s\n", msg)
		}
		os.Exit(app.ExitCode(err))
	}
}

// isCNIInvocation tells a container runtime's call apart from a human's:
// the CNI spec makes runtimes set CNI_COMMAND, whatever name the binary
// was installed under (e.g. /opt/cni/bin/nodenet), and arguments carry
// nothing, so the environment is the only reliable signal.
func isCNIInvocation(getenv func(string) string) bool {
	return getenv("CNI_COMMAND") != ""
}
