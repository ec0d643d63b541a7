//go:build e2e

package cnie2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BenchmarkConcurrentVersion20 is the ceiling under BenchmarkConcurrentAdd20:
// 20 plugin processes in flight that only answer VERSION, so all they cost
// is exec, the Go runtime and package init. No ADD can be faster than
// this; the gap between the two is the ADD's own work.
func BenchmarkConcurrentVersion20(b *testing.B) {
	plugin := filepath.Join(pluginDir(b), "nodenet")
	const n = 20
	var total time.Duration
	var cpu cpuSplit
	for i := 0; i < b.N; i++ {
		c0 := takeCPU()
		t0 := time.Now()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				cmd := exec.Command(plugin)
				cmd.Env = append(os.Environ(), "CNI_COMMAND=VERSION")
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Errorf("VERSION: %v: %s", err, out)
				}
			})
		}
		wg.Wait()
		total += time.Since(t0)
		cpu.add(c0)
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "execs/s")
	b.ReportMetric(float64(cpu.children.Milliseconds())/float64(n*b.N), "cpu-ms/exec")
}
