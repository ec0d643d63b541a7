package netns

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a background process started inside a namespace. PID 1 on the
// test machines does not reap orphans, so every Proc is Waited exactly once,
// by its own goroutine.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error
	once sync.Once
}

// Start runs argv inside ns in its own process group, captures its output
// and registers Stop with t.Cleanup.
func Start(t testing.TB, ns, name string, argv ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, cmd: Command(ns, argv...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// Own process group: a signal to the test's terminal does not hit it
	// twice, and Stop can signal the whole group by the leader's PID.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild holding the pipe must not block Wait forever.
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	trackProc(p, true)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
		trackProc(p, false)
	}()
	t.Cleanup(p.Stop)
	return p
}

// PID is the process's PID (also its process group ID).
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM to the process group, SIGKILL after 5 s, and waits.
// It is idempotent.
func (p *Proc) Stop() {
	p.once.Do(func() {
		if exited, _ := p.Exited(); exited {
			return // reaped: its PID may already be someone else's
		}
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	})
}

// Done is closed when the process has exited (and been reaped).
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited, and its error.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Wait waits up to timeout for the process to exit by itself.
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.Name, timeout)
	}
}

// Output returns everything the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// WaitOutput polls until the output contains s or the process dies.
func (p *Proc) WaitOutput(timeout time.Duration, s string) error {
	return PollUntil(timeout, 50*time.Millisecond, func() error {
		if strings.Contains(p.Output(), s) {
			return nil
		}
		if exited, err := p.Exited(); exited {
			return Permanent(fmt.Errorf("%s exited (%v) before printing %q: %s", p.Name, err, s, p.Output()))
		}
		return errors.New("not yet")
	})
}

// LogOnFailure registers a cleanup that, if t failed, stops the process and
// prints all it said (including its shutdown messages).
func (p *Proc) LogOnFailure(t testing.TB) {
	t.Cleanup(func() {
		if t.Failed() {
			p.Stop()
			t.Logf("---- output of %s ----\n%s---- end of %s ----", p.Name, p.Output(), p.Name)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the copying goroutines of exec.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
