package cni

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
)

// Exec'ing iptables-restore dominates an ADD with ipMasq (10-20 ms on a busy
// node, against a few ms for all the netlink work). The process does not need
// the script to start, so ADD starts it first thing and feeds it the rules
// once IPAM has chosen the addresses: its start-up overlaps bridge, IPAM and
// veth work instead of adding to them.

// restorer is an iptables-restore --noflush started before its input is known.
type restorer struct {
	f     ipFamily
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   bytes.Buffer
}

func startRestore(f ipFamily) (*restorer, error) {
	r := &restorer{f: f, cmd: exec.Command(f.restore, "-w", "--noflush")}
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	stdin, err := r.cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.restore, err)
	}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.restore, err)
	}
	r.stdin = stdin
	return r, nil
}

// finish feeds script (empty input is a no-op for --noflush) and waits.
func (r *restorer) finish(script []byte) error {
	_, werr := r.stdin.Write(script)
	cerr := r.stdin.Close()
	if err := r.cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %w: %s", r.f.restore, err, strings.TrimSpace(r.out.String()))
	}
	if werr != nil {
		return fmt.Errorf("%s: writing rules: %w", r.f.restore, werr)
	}
	return cerr
}

func runRestore(f ipFamily, script []byte) error {
	r, err := startRestore(f)
	if err != nil {
		return err
	}
	return r.finish(script)
}

// masqSession holds the pre-started restorers of one ADD. Even starting
// them is done in the background (fork+exec blocks the caller for a few
// ms); started is closed when procs is final. A family whose restorer
// failed to start is retried, and its error reported, by apply.
type masqSession struct {
	started chan struct{}
	procs   map[ipFamily]*restorer
	used    bool
}

// startMasq pre-starts one restorer per family the config will allocate
// from (host-local ranges); a delegated IPAM's families are unknown, so
// its restorers start in apply.
func startMasq(n *NetConf) *masqSession {
	s := &masqSession{started: make(chan struct{}), procs: map[ipFamily]*restorer{}}
	var families []ipFamily
	if n.hostLocal != nil {
		families = n.families()
	}
	go func() {
		defer close(s.started)
		for _, f := range families {
			if r, err := startRestore(f); err == nil {
				s.procs[f] = r
			}
		}
	}()
	return s
}

// apply installs the rules for addrs, all families at once.
func (s *masqSession) apply(chain, comment string, addrs []net.IPNet) error {
	<-s.started
	s.used = true
	scripts := masqScripts(chain, comment, addrs)
	var jobs []func() error
	for f, r := range s.procs {
		jobs = append(jobs, func() error { return r.finish(scripts[f]) })
	}
	for f, script := range scripts {
		if s.procs[f] == nil {
			jobs = append(jobs, func() error { return runRestore(f, script) })
		}
	}
	return parallel(jobs)
}

// abort ends restorers that never got a script (ADD failed before IPAM
// returned); a no-op once apply ran.
func (s *masqSession) abort() {
	<-s.started
	if s.used {
		return
	}
	s.used = true
	for _, r := range s.procs {
		_ = r.finish(nil)
	}
}
