// Package plugininit runs the CNI plugin from a package init, before the
// agent's packages initialize, and exits. Import it (blank) from
// cmd/nodenet only.
//
// A runtime execs the plugin once per ADD, DEL or CHECK; the process lives
// tens of milliseconds, and on a node starting pods its start-up is most of
// the plugin's CPU. The binary is also the agent, and Go runs every linked
// package's init before main: protobuf descriptors, Prometheus and
// component-base registries, API schemes, about 230 packages. Measured on
// the 2-vCPU development VM with 20 processes in flight: 44 ms of CPU per
// exec that only answers VERSION, against 18 ms for a binary that links
// package cni alone. That alone capped ADDs at about 44 pods/s.
//
// Go initializes a package after all its imports, and otherwise in import
// path order. This package imports package cni, so by the time its init
// runs, everything the plugin uses is initialized; the agent's heavy
// packages are not, as long as they are not imports of package cni and
// wait on something package cni does not need (net/http: every client-go
// and apimachinery package). So package cni must not import net/http,
// Kubernetes or Prometheus packages: cmd/nodenet's deps test checks that,
// and test/cni checks with GODEBUG=inittrace=1 that no k8s.io package
// initializes in a plugin process.
//
// With one P: the process is single-threaded work, and with more Ps every
// goroutine that an init starts wakes an idle P, which starts an OS thread
// that then parks and wakes through futexes (measured: 43.3 -> 41.1 ms of
// CPU per exec, a quarter fewer context switches). The plugin gains
// nothing from a second P: its concurrency is blocking syscalls, which
// hand their P off anyway.
package plugininit

import (
	"os"

	"github.com/nodenet/nodenet/cni"
	// One P for the plugin process, set before the other inits run.
	_ "github.com/nodenet/nodenet/internal/plugininit/oneproc"
)

func init() {
	if !isCNIInvocation(os.Getenv) {
		return // the agent or a human: main runs as usual
	}
	cni.PluginMain()
	os.Exit(0)
}

// isCNIInvocation tells a container runtime's call apart from a human's:
// the CNI spec makes runtimes set CNI_COMMAND, whatever name the binary
// was installed under (e.g. /opt/cni/bin/nodenet), and arguments carry
// nothing, so the environment is the only reliable signal.
func isCNIInvocation(getenv func(string) string) bool {
	return getenv("CNI_COMMAND") != ""
}
