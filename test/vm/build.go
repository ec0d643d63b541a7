package vm

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/nodenet/nodenet/test/netns"
)

// GoTestBuild compiles the tests of package pkg (e.g. "./ipvs") with the
// build tags into a static binary at out, to run where there is no Go
// toolchain (netns.GoBuild does the same for commands).
func GoTestBuild(pkg, tags, out string) error {
	root, err := netns.RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "test", "-c", "-tags", tags, "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c %s: %w: %s", pkg, err, b)
	}
	return nil
}
