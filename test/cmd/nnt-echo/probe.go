package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"
)

// probeMain dials every "proto/host:port" target concurrently and prints
// one result line per target, in the order given.
func probeMain(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	timeout := fs.Duration("timeout", time.Second, "per-target timeout")
	_ = fs.Parse(args)
	targets := fs.Args()
	if len(targets) == 0 {
		return errors.New("probe: give at least one proto/host:port target")
	}
	lines := make([]string, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lines[i] = target + " " + probeOne(target, *timeout)
		}()
	}
	wg.Wait()
	fmt.Println(strings.Join(lines, "\n"))
	return nil
}

func probeOne(target string, timeout time.Duration) string {
	proto, addr, ok := strings.Cut(target, "/")
	if !ok {
		return "ERR other target is not proto/host:port"
	}
	line, err := once(proto, addr, timeout)
	if err != nil {
		return "ERR " + classify(err) + " " + err.Error()
	}
	return "ok " + line
}
