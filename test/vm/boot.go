package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// BootConfig is one qemu run.
type BootConfig struct {
	Image  *Image
	Initrd string
	// Env are NAME=value words for the kernel command line; the kernel
	// hands unknown ones to /init as environment variables (NNT_RUN...).
	Env     []string
	Timeout time.Duration
	// Net, if set, replaces "-nic none": qemu arguments for a network
	// card, e.g. a restricted user network with a guestfwd to one host
	// address (the guest reaches nothing else, and nothing leaves the
	// machine). The guest's driver is e1000.
	Net []string
	// OnLine hears each line of the guest's console as it arrives.
	OnLine func(string)
}

// Boot runs the VM to its end and returns the guest's console lines. The
// guest has no network card (-nic none), so no test packet can leave it.
// Software emulation (TCG) always: the CI machines' /dev/kvm is nested
// and qemu aborts on it ("failed to set MSR 0x10a") or hangs. One vCPU,
// which under TCG on a 2-core host is faster than two.
func Boot(ctx context.Context, cfg BootConfig) (lines []string, exitCode int, err error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	args := []string{
		"-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "2048",
		"-display", "none", "-serial", "stdio", "-monitor", "none",
		"-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-kernel", cfg.Image.Kernel, "-initrd", cfg.Initrd,
		"-append", strings.Join(append([]string{"console=ttyS0", "quiet", "panic=-1"}, cfg.Env...), " "),
	}
	if cfg.Net == nil {
		args = append(args, "-nic", "none")
	}
	args = append(args, cfg.Net...)
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("starting qemu: %w", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		lines = append(lines, line)
		if cfg.OnLine != nil {
			cfg.OnLine(line)
		}
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return lines, -1, fmt.Errorf("qemu: no result within %v", cfg.Timeout)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return lines, exit.ExitCode(), nil
	}
	return lines, 0, err
}
