// Command nodenet is the per-node networking binary: the kube-proxy
// replacement (subcommand agent and its tools) and, when a container
// runtime executes it, the CNI plugin.
package main

import (
	"fmt"
	"os"

	"k8s.io/component-base/cli"

	"github.com/nodenet/nodenet/cmd/nodenet/app"
	// When a container runtime execs the binary (CNI_COMMAND is set), this
	// package's init runs the CNI plugin and exits, before the agent's
	// packages initialize; main never runs then.
	_ "github.com/nodenet/nodenet/internal/plugininit"
)

func main() {
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
