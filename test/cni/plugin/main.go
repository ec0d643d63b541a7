// Command plugin is a binary of the CNI plugin alone, for benchmarks that
// compare its exec cost with cmd/nodenet's (NNT_CNI_PLUGIN_PKG=./test/cni/plugin).
package main

import (
	"github.com/nodenet/nodenet/cni"
	// As in cmd/nodenet: with CNI_COMMAND set, its init runs the plugin
	// and exits.
	_ "github.com/nodenet/nodenet/internal/plugininit"
)

// main runs only without CNI_COMMAND, and then reports it missing.
func main() { cni.PluginMain() }
