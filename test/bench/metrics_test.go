//go:build e2e

package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/nodenet/nodenet/test/netns"
)

// scrape reads the agent's Prometheus metrics from inside its namespace.
func scrape(ns string) (map[string]float64, error) {
	out, err := netns.Exec(ns, "curl", "-sf", "http://127.0.0.1:10249/metrics")
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w: %s", err, out)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

const (
	fullCount    = `kubeproxy_sync_full_proxy_rules_duration_seconds_count{ip_family="IPv4"}`
	fullSum      = `kubeproxy_sync_full_proxy_rules_duration_seconds_sum{ip_family="IPv4"}`
	partialCount = `kubeproxy_sync_partial_proxy_rules_duration_seconds_count{ip_family="IPv4"}`
	partialSum   = `kubeproxy_sync_partial_proxy_rules_duration_seconds_sum{ip_family="IPv4"}`
)

// peakRSS reads a process's high-water resident set size in bytes.
func peakRSS(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
