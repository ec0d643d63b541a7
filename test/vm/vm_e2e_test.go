//go:build e2e

package vm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// guestSuite is one run of a test binary inside the VM.
type guestSuite struct {
	name string // subtest name: TestVM/<name>/<test>
	pkg  string // package, built with `go test -c -tags <tags>`
	tags string
	env  string // VAR=value (one) for the run
	run  string // -test.run regexp ("" all)
}

// ipvsScenarios are the Service e2e tests (test/e2e) run with --proxy-mode
// ipvs: each frontend kind, both protocols, endpoint changes, no
// endpoints, affinity, hairpin, masquerade, traffic policy, source
// ranges, IPv6. test/e2e checks some of these through iptables itself;
// guest's tests prove them for IPVS instead: the drop side of source ranges
// (TestBackendServesTraffic) and a restart that keeps connections
// (TestRestartKeepsConnections; test/e2e's kills the agent during an
// iptables-restore). A test takes ~10 s
// under emulation on a quiet host; the list is what fits CI's budget.
const ipvsScenarios = "^(TestClusterIPFromPod|TestClusterIPFromNode|TestNodePortFromOutside|" +
	"TestLoadBalancerIPFromOutside|TestExternalIPFromOutside|TestEndpointRemoval|TestNoEndpointsRefused|" +
	"TestSessionAffinityClientIP|TestServiceHairpin|TestMasqueradeClusterCIDR|TestExternalTrafficPolicyLocal|" +
	"TestLBSourceRangesIncludingClientAnswer|TestIPv6ClusterIPFromPod)$"

// iptablesScenarios run the same binary with --proxy-mode iptables in the
// same boot, the comparison on the same kernel.
const iptablesScenarios = "^(TestClusterIPFromPod|TestNodePortFromOutside|TestServiceHairpin|" +
	"TestMasqueradeClusterCIDR)$"

// guestSuites run inside the VM in this order.
var guestSuites = []guestSuite{
	{name: "guest", pkg: "./test/vm/guest", tags: "vmguest"},
	{name: "ipvs", pkg: "./ipvs", tags: "vmguest"},
	{name: "e2e-ipvs", pkg: "./test/e2e", tags: "e2e", env: "NODENET_PROXY_MODE=ipvs", run: ipvsScenarios},
	{name: "e2e-iptables", pkg: "./test/e2e", tags: "e2e", env: "NODENET_PROXY_MODE=iptables", run: iptablesScenarios},
}

// binName is the test binary of a package in the guest's /nnt/tests.
func binName(pkg string) string {
	return strings.ReplaceAll(strings.Trim(pkg, "./"), "/", "-") + ".test"
}

// TestVM builds the image, boots it once, runs every guest suite inside
// and reports each guest test as a subtest (TestVM/<suite>/<test>).
// NNT_VM_RUN (a -run regexp) narrows the guest tests.
func TestVM(t *testing.T) {
	netns.RequireRoot(t)
	for _, tool := range []string{"qemu-system-x86_64", "depmod", "modprobe", "apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install --no-install-recommends qemu-system-x86 kmod (as .ci/run does)", tool)
		}
	}
	cache := os.Getenv("NODENET_VM_CACHE")
	if cache == "" {
		cache = "/var/cache/nodenet-vm"
	}
	start := time.Now()
	img, err := BuildBase(cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("base image %s (kernel %s) ready in %v", filepath.Base(img.Initrd), img.Release, time.Since(start).Round(time.Millisecond))
	dir := t.TempDir()
	payload, err := buildPayload(dir)
	if err != nil {
		t.Fatal(err)
	}
	initrd, err := Assemble(img, dir, payload)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	if run := os.Getenv("NNT_VM_RUN"); run != "" {
		env = append(env, "NNT_RUN="+run)
	}
	// NNT_VM_BENCH=<regexp> runs those benchmarks (make bench-ipvs) and no test.
	timeout := 20 * time.Minute
	if bench := os.Getenv("NNT_VM_BENCH"); bench != "" {
		env = append(env, "NNT_BENCH="+bench, "NNT_RUN=^$", "NNT_TIMEOUT=30m")
		timeout = 35 * time.Minute
	}
	start = time.Now()
	lines, code, err := Boot(context.Background(), BootConfig{Image: img, Initrd: initrd, Env: env,
		Timeout: timeout, OnLine: func(l string) { fmt.Fprintln(os.Stderr, "vm| "+l) }})
	t.Logf("VM ran for %v, qemu exit code %d", time.Since(start).Round(time.Millisecond), code)
	if err != nil {
		t.Error(err)
	}
	report(t, lines, code)
}

// buildPayload builds the binaries the guest runs, all static.
func buildPayload(dir string) (Payload, error) {
	p := Payload{}
	nodenet := os.Getenv("NODENET_BIN")
	if nodenet == "" {
		nodenet = filepath.Join(dir, "nodenet")
		if err := netns.GoBuild("./cmd/nodenet", nodenet); err != nil {
			return nil, err
		}
	}
	p["nnt/bin/nodenet"] = nodenet
	echo := filepath.Join(dir, "nnt-echo")
	if err := netns.GoBuild("./test/cmd/nnt-echo", echo); err != nil {
		return nil, err
	}
	p["nnt/bin/nnt-echo"] = echo
	var suites strings.Builder
	for _, s := range guestSuites {
		bin := binName(s.pkg)
		if p["nnt/tests/"+bin] == "" {
			out := filepath.Join(dir, bin)
			if err := GoTestBuild(s.pkg, s.tags, out); err != nil {
				return nil, err
			}
			p["nnt/tests/"+bin] = out
		}
		fmt.Fprintf(&suites, "%s|%s|%s|%s\n", s.name, bin, s.env, s.run)
	}
	list := filepath.Join(dir, "suites")
	if err := os.WriteFile(list, []byte(suites.String()), 0o644); err != nil {
		return nil, err
	}
	p["nnt/suites"] = list
	return p, nil
}

// report turns the guest's console into subtests: a failed guest test
// fails its subtest with the guest's output, and a suite that never
// reported (the VM died or timed out) fails too.
func report(t *testing.T, lines []string, code int) {
	suites, done := ParseConsole(lines)
	seen := map[string]bool{}
	for _, s := range suites {
		seen[s.Name] = true
		t.Run(s.Name, func(t *testing.T) { reportSuite(t, s) })
	}
	for _, s := range guestSuites {
		if !seen[s.name] {
			t.Errorf("guest suite %s never started", s.name)
		}
	}
	if !done {
		t.Errorf("the guest's /init did not finish (qemu exit code %d); console tail:\n%s", code, tail(lines, 40))
	} else if code != 1 && code != 3 {
		t.Errorf("qemu exit code %d: the guest did not end through isa-debug-exit", code)
	}
}

func reportSuite(t *testing.T, s *Suite) {
	for _, line := range s.Output {
		if strings.HasPrefix(line, "Benchmark") {
			t.Log(line) // figures measured inside the VM (emulated CPU)
		}
	}
	failed := false
	for _, tr := range s.Tests {
		failed = failed || tr.Status != "PASS" && tr.Status != "SKIP"
		t.Run(tr.Name, func(t *testing.T) {
			out := strings.Join(tr.Output, "\n")
			switch tr.Status {
			case "PASS":
			case "SKIP":
				t.Skip(out)
			case "FAIL":
				t.Error("failed in the VM:\n" + out)
			default:
				t.Error("did not finish in the VM:\n" + out)
			}
		})
	}
	switch {
	case !s.Ended:
		t.Errorf("%s did not end (the VM died or timed out):\n%s", s.Name, tail(s.Output, 40))
	case s.RC != 0 && !failed:
		t.Errorf("%s exited %d:\n%s", s.Name, s.RC, tail(s.Output, 40))
	}
}

func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
