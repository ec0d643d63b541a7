//go:build vmguest

package guest

import (
	"fmt"
	"os"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// TestMain takes the helper binaries from the VM's /init: there is no Go
// toolchain inside the VM to build them.
func TestMain(m *testing.M) {
	netns.EchoBin = os.Getenv("NNT_ECHO_BIN")
	if netns.EchoBin == "" {
		fmt.Fprintln(os.Stderr, "guest: NNT_ECHO_BIN unset: these tests run inside the VM (make e2e-ipvs)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}
