package cni

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// SupportedVersions are the spec versions accepted in cniVersion.
var SupportedVersions = []string{"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}

// PluginMain runs nodenet as a CNI plugin (CNI_COMMAND is set). It prints
// the result or the spec's error object and exits.
func PluginMain() {
	skel.PluginMainFuncs(skel.CNIFuncs{
		Add:    guard("ADD", cmdAdd),
		Del:    guard("DEL", cmdDel),
		Check:  guard("CHECK", cmdCheck),
		GC:     guard("GC", cmdGC),
		Status: guard("STATUS", cmdStatus),
	}, version.PluginSupports(SupportedVersions...), "CNI plugin nodenet (bridge + host-local)")
}

// guard turns panics into a code 999 error object (the runtime must always
// get JSON), keeps error codes through %w wrapping, and logs timing.
func guard(name string, f func(*skel.CmdArgs) error) func(*skel.CmdArgs) error {
	return func(args *skel.CmdArgs) (err error) {
		start := time.Now()
		trace.begin()
		defer func() {
			if p := recover(); p != nil {
				err = panicError(name, p)
			}
			logTiming(name, time.Since(start))
		}()
		return asCNI(f(args))
	}
}

// panicError reports a recovered panic as code 999 with the stack, which
// still holds the panicking frames while a deferred function runs.
func panicError(cmd string, p any) error {
	return types.NewError(types.ErrInternal, fmt.Sprintf("nodenet: panic in %s: %v", cmd, p), string(debug.Stack()))
}
