// Command plugin is a stand-in for cmd/nodenet used by the e2e tests when
// the real binary is not available: it runs only the CNI plugin.
package main

import (
	"github.com/nodenet/nodenet/cni"
	// As in cmd/nodenet: with CNI_COMMAND set, its init runs the plugin
	// and exits.
	_ "github.com/nodenet/nodenet/internal/plugininit"
)

// main runs only without CNI_COMMAND, and then reports it missing.
func main() { cni.PluginMain() }
