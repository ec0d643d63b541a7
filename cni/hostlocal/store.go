package hostlocal

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lineBreak separates container ID and ifname in an allocation file; it is
// the reference host-local's separator so both plugins read each other's
// files.
const lineBreak = "\r\n"

const lastReservedPrefix = "last_reserved_ip."

// Allocation is one address recorded on disk.
type Allocation struct {
	IP          net.IP
	ContainerID string
	IfName      string
}

// store is the per-network directory. Every method must be called with the
// lock held; the lock is an flock on the directory itself, as in the
// reference plugin, so mixed reference/nodenet processes also serialise.
type store struct {
	dir string
	fd  *os.File
}

func openStore(dataDir, network string) (*store, error) {
	dir := filepath.Join(dataDir, network)
	if filepath.Dir(dir) != filepath.Clean(dataDir) {
		return nil, fmt.Errorf("network name %q escapes dataDir", network)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating ipam data dir: %w", err)
	}
	fd, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening ipam data dir: %w", err)
	}
	return &store{dir: dir, fd: fd}, nil
}

func (s *store) lock() error {
	for {
		err := syscall.Flock(int(s.fd.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return fmt.Errorf("locking %s: %w", s.dir, err)
			}
			return nil
		}
	}
}

// close drops the lock too (flock is released with the last fd).
func (s *store) close() error { return s.fd.Close() }

// reserve records ip for (id, ifname); false means the address is taken.
func (s *store) reserve(ip net.IP, id, ifname string, set int) (bool, error) {
	path := filepath.Join(s.dir, ip.String())
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reserving %s: %w", ip, err)
	}
	_, werr := f.WriteString(id + lineBreak + ifname)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return false, fmt.Errorf("recording %s: %w", ip, werr)
	}
	// Only a hint for where the next search starts; losing it is harmless.
	_ = os.WriteFile(filepath.Join(s.dir, lastReservedPrefix+strconv.Itoa(set)), []byte(ip.String()), 0o644)
	return true, nil
}

func (s *store) lastReserved(set int) net.IP {
	b, err := os.ReadFile(filepath.Join(s.dir, lastReservedPrefix+strconv.Itoa(set)))
	if err != nil {
		return nil
	}
	return net.ParseIP(strings.TrimSpace(string(b)))
}

func (s *store) release(ip net.IP) error {
	err := os.Remove(filepath.Join(s.dir, ip.String()))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("releasing %s: %w", ip, err)
	}
	return nil
}

// list returns every allocation file. A file left empty by a process killed
// mid-write comes back with an empty ContainerID, which no valid attachment
// matches, so GC reclaims it.
func (s *store) list() ([]Allocation, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.dir, err)
	}
	var out []Allocation
	for _, e := range entries {
		ip := net.ParseIP(e.Name())
		if ip == nil || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("reading allocation %s: %w", e.Name(), err)
		}
		id, ifname, _ := strings.Cut(string(b), lineBreak)
		out = append(out, Allocation{IP: ip, ContainerID: strings.TrimSpace(id), IfName: strings.TrimSpace(ifname)})
	}
	return out, nil
}
