// Command plugin is a stand-in for cmd/nodenet used by the e2e tests when
// the real binary is not available: it runs only the CNI plugin.
package main

import (
	"github.com/nodenet/nodenet/cni"
	// As in cmd/nodenet: runtime settings for a plugin process.
	_ "github.com/nodenet/nodenet/internal/plugininit"
)

func main() { cni.PluginMain() }
