package iptables

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"
)

// iptables-legacy announces nothing: its tables are x_tables blobs the
// kernel swaps whole. What it does keep is each table's number of entries
// and size in bytes (IPT_SO_GET_INFO, one getsockopt, no copy of the
// rules): a flush, a deleted or an added rule changes them. So on legacy
// the watcher reads the nat table's every legacyCheckInterval and compares
// it with what the backend's last restore left; a difference wakes the
// sync, which looks again (the tick may have fallen in the middle of an
// own restore) and, as legacy cannot say which chain changed, repairs
// with a full sync. Only nat is watched: the firewall writes filter too,
// and each of its syncs would make the proxy's full; filter's hooks are
// still checked once per sync period (Intact).

// legacyCheckInterval is how often the legacy nat table is looked at.
const legacyCheckInterval = time.Second

// xtGetInfoLen is sizeof(struct ipt_getinfo) (= ip6t_getinfo): name[32],
// valid_hooks, hook_entry[5], underflow[5], num_entries, size.
const xtGetInfoLen = 84

// soGetInfo is IPT_SO_GET_INFO and IP6T_SO_GET_INFO (IPT_BASE_CTL).
const soGetInfo = 64

// legacyInfo is what the kernel says of one legacy table.
type legacyInfo struct{ entries, size uint32 }

// readLegacyInfo asks the kernel for table's entries and size.
func readLegacyInfo(is4 bool, table string) (legacyInfo, error) {
	domain, level := unix.AF_INET, unix.IPPROTO_IP
	if !is4 {
		domain, level = unix.AF_INET6, unix.IPPROTO_IPV6
	}
	fd, err := unix.Socket(domain, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return legacyInfo{}, fmt.Errorf("raw socket: %w", err)
	}
	defer unix.Close(fd)
	var buf [xtGetInfoLen]byte
	copy(buf[:32], table)
	n := uint32(len(buf))
	if _, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), soGetInfo,
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0); errno != 0 {
		return legacyInfo{}, fmt.Errorf("getsockopt IPT_SO_GET_INFO %s: %w", table, errno)
	}
	return legacyInfo{
		entries: *(*uint32)(unsafe.Pointer(&buf[76])),
		size:    *(*uint32)(unsafe.Pointer(&buf[80])),
	}, nil
}

// isLegacy tells whether this family's iptables is iptables-legacy.
func (f family) isLegacy() bool {
	out, err := exec.Command(f.save, "--version").CombinedOutput()
	return err == nil && strings.Contains(string(out), "legacy")
}

// legacyNAT is the nat table's info now.
func (b *Backend) legacyNAT() (legacyInfo, error) {
	return readLegacyInfo(b.cfg.family.is4(), tableNAT)
}

// rememberLegacy records the nat table as this backend's restore left it.
func (b *Backend) rememberLegacy() {
	if !b.legacy.Load() {
		return
	}
	info, err := b.legacyNAT()
	if err != nil {
		b.legacyAfter.Store(nil)
		return
	}
	b.legacyAfter.Store(&info)
}

// legacyChanged compares the nat table with what the last restore left;
// "" when it is the same (or unknown).
func (b *Backend) legacyChanged() string {
	want := b.legacyAfter.Load()
	if want == nil {
		return ""
	}
	got, err := b.legacyNAT()
	if err != nil || got == *want {
		return ""
	}
	return fmt.Sprintf("legacy nat table changed: %d entries (%d bytes), %d (%d bytes) were left", got.entries, got.size, want.entries, want.size)
}

// watchLegacy is the watcher on iptables-legacy.
func (b *Backend) watchLegacy(ctx context.Context, poke func()) {
	klog.InfoS("iptables-legacy: no change notifications; checking the nat table every second", "family", b.cfg.family.ipFamily)
	t := time.NewTicker(legacyCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if b.legacyChanged() != "" {
				b.tamper.recordLegacy()
				poke()
			}
		}
	}
}
