package main

import (
	"flag"
	"io"
	"net"
	"os"
)

// pipeMain connects to -addr and copies stdin to it and its answers to
// stdout until either side closes: qemu's guestfwd "cmd:" runs it once per
// guest connection, so a VM with a restricted user network reaches one
// host address (the test API server) and nothing else.
func pipeMain(args []string) error {
	fs := flag.NewFlagSet("pipe", flag.ExitOnError)
	addr := fs.String("addr", "", "host:port to connect to")
	_ = fs.Parse(args)
	c, err := net.Dial("tcp", *addr)
	if err != nil {
		return err
	}
	defer c.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(os.Stdout, c)
		close(done)
	}()
	_, _ = io.Copy(c, os.Stdin)
	_ = c.(*net.TCPConn).CloseWrite()
	<-done
	return nil
}
