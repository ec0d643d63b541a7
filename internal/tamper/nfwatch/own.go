package nfwatch

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ownLinger is how long a finished child's PID stays ours: its
// transaction's announcement may be read after it exited. A tamperer
// would need the same PID within these seconds to be taken for us.
const ownLinger = 10 * time.Second

// own is a zero value for the reason given at hub.
var own struct {
	sync.Mutex
	pids map[uint32]time.Time // zero: still running; else when it finished
}

// Ours marks pid, a child that writes nf_tables for nodenet (an
// iptables-restore, an nft), as nodenet's own until the returned done is
// called and ownLinger has passed. Call it right after the child starts:
// a transaction it commits before can be taken for someone else's (one
// needless check, no loop).
func Ours(pid int) (done func()) {
	p := uint32(pid)
	own.Lock()
	pruneLocked(time.Now())
	if own.pids == nil {
		own.pids = map[uint32]time.Time{}
	}
	own.pids[p] = time.Time{}
	own.Unlock()
	return func() {
		own.Lock()
		own.pids[p] = time.Now()
		own.Unlock()
	}
}

// RunOurs runs cmd, a child that writes nf_tables for nodenet, marked as
// Ours from its start: a transaction it commits is never taken for
// someone else's, even when the announcement is read after it exited
// (a cold start's big transaction is read for a while).
func RunOurs(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := Ours(cmd.Process.Pid)
	defer done()
	return cmd.Wait()
}

func pruneLocked(now time.Time) {
	for p, done := range own.pids {
		if !done.IsZero() && now.Sub(done) > ownLinger {
			delete(own.pids, p)
		}
	}
}

// isOurs tells whether the process that committed a transaction is
// nodenet: a registered child, this process (the kernel reports the
// committing thread's ID, so any thread of ours), or a child still alive
// that nodenet could not register (knftables runs `nft` itself; one that
// has already exited is taken for someone else's, and the watcher's check
// then finds nothing to repair).
func isOurs(pid uint32) bool {
	own.Lock()
	_, ok := own.pids[pid]
	own.Unlock()
	if ok || int(pid) == os.Getpid() {
		return true
	}
	id := strconv.FormatUint(uint64(pid), 10)
	if _, err := os.Stat("/proc/self/task/" + id); err == nil {
		return true
	}
	return parentOf(id) == os.Getpid()
}

// parentOf reads a process's parent PID from /proc (0 when it is gone).
func parentOf(pid string) int {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The command (field 2) may hold spaces: fields count from its ")".
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
