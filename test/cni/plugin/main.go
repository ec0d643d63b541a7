// Command plugin is a stand-in for cmd/nodenet used by the e2e tests when
// the real binary is not available: it runs only the CNI plugin.
package main

import "github.com/nodenet/nodenet/cni"

func main() { cni.PluginMain() }
