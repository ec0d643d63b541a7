//go:build e2e

package cnie2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/nodenet/nodenet/cni"
	nntns "github.com/nodenet/nodenet/test/netns"
)

func TestConcurrent50(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	const n = 50
	paths := make([]string, n)
	for i := range paths {
		paths[i] = e.pod(fmt.Sprintf("q%d", i))
	}
	ips := make([]string, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.add(l, rt(fmt.Sprintf("c%d", i), paths[i]))
			if err != nil {
				t.Errorf("ADD %d: %v", i, err)
				return
			}
			ips[i] = res.IPs[0].Address.IP.String()
		}()
	}
	wg.Wait()
	t.Logf("50 concurrent ADDs: %v", time.Since(start))
	seen := map[string]bool{}
	for _, ip := range ips {
		if ip == "" || seen[ip] {
			t.Fatalf("addresses not distinct: %v", ips)
		}
		seen[ip] = true
	}
	if a := e.allocations(); len(a) != n {
		t.Fatalf("%d allocations on disk, want %d", len(a), n)
	}
	start = time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.del(l, rt(fmt.Sprintf("c%d", i), paths[i])); err != nil {
				t.Errorf("DEL %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	t.Logf("50 concurrent DELs: %v", time.Since(start))
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("left allocated after 50 DELs: %v", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.TrimSpace(out) != "" {
		t.Fatalf("ports left: %s", out)
	}
	if save := e.ipHost("iptables-save", "-t", "nat"); strings.Count(save, ":NODENET-") != 1 || strings.Count(save, "-A POSTROUTING") != 1 {
		t.Fatalf("want the shared chain and one jump, nothing per pod:\n%s", save)
	}
	if m := strings.TrimSpace(e.members("4")); m != "" {
		t.Fatalf("members left:\n%s", m)
	}
}

// TestGCAfterKilledAdd kills ADDs at each step of their work, leaks
// complete attachments the runtime forgot (one in libcni's cache, one
// never recorded), and expects GC to leave only the live pod.
func TestGCAfterKilledAdd(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	live, forgotten := e.pod("live"), e.pod("forgotten")
	e.mustAdd(l, rt("live", live))
	e.mustAdd(l, rt("forgotten", forgotten))
	// A second network sharing the bridge: GC of the first must not touch it.
	other := e.confList("1.1.0", func(p map[string]any) {
		p["ipam"].(map[string]any)["ranges"] = []any{[]any{map[string]any{"subnet": "10.199.1.0/24"}}}
	})
	other.Name += "b"
	other.Plugins[0].Network.Name = other.Name
	otherPod := e.pod("other")
	e.mustAdd(other, rt("other", otherPod))
	// ADDs killed right after each step (the phases of the timing log):
	// address reserved; veth made; on the bridge; pod configured;
	// masquerade member added, result not yet printed.
	for _, phase := range []string{"ipam", "veth", "port", "pod", "masq"} {
		e.killedAdd(l, "killed-"+phase, e.pod("k"+phase), phase)
	}
	if a := e.allocations(); len(a) != 2+5 {
		t.Fatalf("want the 5 killed ADDs' addresses leaked before GC, got %v", a)
	}
	// A complete ADD the runtime never recorded: libcni's GC does not know
	// it from its cache, so only the plugin's GC can find it.
	e.killedAdd(l, "unrecorded", e.pod("unrecorded"), "")
	// A veth made by an ADD killed before it joined the bridge.
	e.ipHost("ip", "link", "add", "nnv0000deadbeef", "type", "veth", "peer", "name", "nnt-peer")
	e.ipHost("ip", "link", "set", "nnv0000deadbeef", "alias", "nodenet net="+l.Name)
	// And one whose allocation file was created but never written.
	if err := os.WriteFile(e.dataDir+"/nnt"+e.id+"/10.199.0.200", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.gc(l, []types.GCAttachment{{ContainerID: "live", IfName: "eth0"}})
	if a := e.allocations(); len(a) != 1 {
		t.Fatalf("after GC: allocations %v, want only the live pod's", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Fatalf("after GC: want 2 ports (live pod, other network), got:\n%s\n%s", out, e.ipHost("ip", "-o", "link"))
	}
	if save := e.ipHost("iptables-save", "-t", "nat"); strings.Count(save, ":NODENET-") != 2 {
		t.Fatalf("after GC: want 2 shared chains (this network, the other):\n%s", save)
	}
	if m := strings.TrimSpace(e.members("4")); !strings.HasSuffix(m, `comment "live/eth0"`) || strings.Count(m, "\n") != 0 {
		t.Fatalf("after GC: want only the live pod's member:\n%s", m)
	}
	if out := e.ipHost("ip", "-o", "link", "show"); strings.Contains(out, "nnv0000deadbeef") || strings.Count(out, "nnv") != 2 {
		t.Fatalf("after GC: want only the live pod's and the other network's veths:\n%s", out)
	}
	if err := e.check(l, rt("live", live)); err != nil {
		t.Fatalf("live pod broken by GC: %v", err)
	}
	if err := e.check(other, rt("other", otherPod)); err != nil {
		t.Fatalf("other network's pod broken by GC: %v", err)
	}
}

// TestGCWithNoLivePods: a runtime with no pod left on the network sends an
// empty (null) list; everything, even what libcni never recorded, goes.
func TestGCWithNoLivePods(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	e.killedAdd(l, "unrecorded", e.pod("unrecorded"), "")
	if a := e.allocations(); len(a) != 1 {
		t.Fatalf("want the unrecorded ADD's address, got %v", a)
	}
	e.gc(l, nil) // libcni sends "cni.dev/valid-attachments": null
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("after GC with no live pod: %v", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.TrimSpace(out) != "" {
		t.Fatalf("after GC with no live pod, ports left:\n%s", out)
	}
}

func (e *env) gc(l *libcni.NetworkConfigList, valid []types.GCAttachment) {
	e.t.Helper()
	err := e.inHost(func() error {
		return e.cni.GCNetworkList(context.Background(), l, &libcni.GCArgs{ValidAttachments: valid})
	})
	if err != nil {
		e.t.Fatalf("GC: %v", err)
	}
}

// killedAdd execs the plugin in the host netns the way libcni would, but
// without libcni's cache. With a phase, the plugin stops itself right after
// that step (cni.StopAfterEnv) and is SIGKILLed there; without one, the ADD
// completes and only the runtime's record of it is missing.
func (e *env) killedAdd(l *libcni.NetworkConfigList, id, nsPath, phase string) {
	e.t.Helper()
	conf, err := libcni.InjectConf(l.Plugins[0], map[string]any{"name": l.Name, "cniVersion": l.CNIVersion})
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.inHost(func() error {
		cmd := exec.Command(pluginDir(e.t) + "/nodenet")
		cmd.Env = append(os.Environ(), "CNI_COMMAND=ADD", "CNI_CONTAINERID="+id, "CNI_NETNS="+nsPath,
			"CNI_IFNAME=eth0", "CNI_PATH="+pluginDir(e.t), cni.StopAfterEnv+"="+phase,
			cni.TimingLogEnv+"="+filepath.Join(e.t.TempDir(), "timing.log"))
		cmd.Stdin = strings.NewReader(string(conf.Bytes))
		if phase == "" {
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("ADD: %w: %s", err, out)
			}
			return nil
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		return nntns.PollUntil(10*time.Second, 5*time.Millisecond, func() error { return stopped(cmd.Process.Pid) })
	})
	if err != nil {
		e.t.Fatalf("ADD %s stopped after %q: %v", id, phase, err)
	}
}

// stopped is nil once the process is in the stopped state.
func stopped(pid int) error {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nntns.Permanent(err)
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	switch state := strings.Fields(s[i+1:])[0]; state {
	case "T":
		return nil
	case "Z":
		return nntns.Permanent(fmt.Errorf("exited before stopping"))
	default:
		return fmt.Errorf("state %s", state)
	}
}

func TestPoolExhaustion(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", func(p map[string]any) {
		p["ipam"].(map[string]any)["ranges"] = []any{[]any{map[string]any{"subnet": "10.199.0.0/29"}}}
	})
	status := func() error {
		return e.inHost(func() error { return e.cni.GetStatusNetworkList(context.Background(), l) })
	}
	if err := status(); err != nil {
		t.Fatalf("STATUS on empty pool: %v", err)
	}
	var paths []string
	for i := 0; i < 5; i++ { // /29: 8 - network - broadcast - gateway
		paths = append(paths, e.pod(fmt.Sprintf("p%d", i)))
		e.mustAdd(l, rt(fmt.Sprintf("c%d", i), paths[i]))
	}
	if err := status(); codeOf(err) != types.ErrPluginNotAvailable {
		t.Fatalf("STATUS on full pool: want code 50, got %v", err)
	}
	_, err := e.add(l, rt("c6", e.pod("p6")))
	if codeOf(err) != types.ErrPluginNotAvailable || !strings.Contains(err.Error(), "exhausted") {
		t.Fatalf("ADD on full pool: want code 50 'exhausted', got %v", err)
	}
	if err := e.del(l, rt("c0", paths[0])); err != nil {
		t.Fatal(err)
	}
	if err := status(); err != nil {
		t.Fatalf("STATUS after a DEL: %v", err)
	}
}

func TestSpecVersions(t *testing.T) {
	e := newEnv(t)
	info, err := e.cni.GetVersionInfo(context.Background(), "nodenet")
	if err != nil {
		t.Fatalf("VERSION: %v", err)
	}
	if got := strings.Join(info.SupportedVersions(), " "); got != "0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" {
		t.Fatalf("VERSION lists %s", got)
	}
	for i, v := range []string{"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"} {
		l := e.confList(v, nil)
		p := e.pod(fmt.Sprintf("v%d", i))
		r := rt(fmt.Sprintf("c%d", i), p)
		var res types.Result
		err := e.inHost(func() (err error) {
			res, err = e.cni.AddNetworkList(context.Background(), l, r)
			return err
		})
		if err != nil {
			t.Fatalf("%s ADD: %v", v, err)
		}
		if res.Version() != v {
			t.Errorf("%s: result version %s", v, res.Version())
		}
		if v != "0.3.0" && v != "0.3.1" {
			if err := e.check(l, r); err != nil {
				t.Errorf("%s CHECK: %v", v, err)
			}
		}
		if err := e.del(l, r); err != nil {
			t.Errorf("%s DEL: %v", v, err)
		}
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("left allocated: %v", a)
	}
}

func TestBadConfigIsCNIError(t *testing.T) {
	e := newEnv(t)
	p := e.pod("p")
	for _, c := range []struct {
		stdin string
		code  int
	}{
		{`{"cniVersion":"1.0.0","name":"x","type":"nodenet","ipam":{"type":"host-local","subnet":`, 6},
		{`{"cniVersion":"1.0.0","name":"x","type":"nodenet","ipam":{"type":"host-local","subnet":"10.0.0.1/24"}}`, 7},
		{`{"cniVersion":"1.0.0","name":"x","type":"nodenet","mtu":10}`, 7},
	} {
		var out []byte
		_ = e.inHost(func() error {
			cmd := exec.Command(pluginDir(t) + "/nodenet")
			cmd.Env = append(os.Environ(), "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_NETNS="+p, "CNI_IFNAME=eth0", "CNI_PATH=/nonexistent")
			cmd.Stdin = strings.NewReader(c.stdin)
			out, _ = cmd.Output()
			return nil
		})
		var got struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		}
		if err := json.Unmarshal(out, &got); err != nil || got.Code != c.code || got.Msg == "" {
			t.Errorf("stdin %s: output %q, want code %d", c.stdin, out, c.code)
		}
	}
}
