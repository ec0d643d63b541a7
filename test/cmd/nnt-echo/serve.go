package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// serveMain runs the requested servers until SIGTERM/SIGINT.
func serveMain(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	name := fs.String("name", hostname(), "name put in every answer")
	tcpAddr := fs.String("tcp", "", "TCP listen addresses, comma-separated (empty: none)")
	udpAddr := fs.String("udp", "", "UDP listen addresses, comma-separated (empty: none)")
	httpAddr := fs.String("http", "", "HTTP listen address (empty: none)")
	linesAddr := fs.String("lines", "", "TCP listen address of the line echo, which keeps connections open (empty: none)")
	_ = fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 16)
	started := 0
	// Listen synchronously so a listen error is reported before "ready".
	for _, addr := range listenList(*tcpAddr) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		go func() { errc <- serveTCP(ln, *name) }()
		started++
	}
	for _, addr := range listenList(*udpAddr) {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		go func() { errc <- serveUDP(pc, *name) }()
		started++
	}
	if *httpAddr != "" {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			return err
		}
		go func() { errc <- serveHTTP(ln, *name) }()
		started++
	}
	if *linesAddr != "" {
		ln, err := net.Listen("tcp", *linesAddr)
		if err != nil {
			return err
		}
		go func() { errc <- serveLines(ln, *name) }()
		started++
	}
	if started == 0 {
		return errors.New("serve: give at least one of -tcp, -udp, -http, -lines")
	}
	fmt.Printf("nnt-echo %s ready\n", *name)
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

// listenList splits a comma-separated flag; the NetworkPolicy matrix
// serves two ports per protocol from one process.
func listenList(flagValue string) []string {
	if flagValue == "" {
		return nil
	}
	return strings.Split(flagValue, ",")
}

func answer(name string, remote net.Addr) string {
	return fmt.Sprintf("%s %s\n", name, remote)
}

func serveTCP(ln net.Listener, name string) error {
	return acceptEach(ln, func(c net.Conn) {
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte(answer(name, c.RemoteAddr())))
	})
}

// acceptEach serves every connection of ln with handle, which runs on its
// own goroutine; the connection is closed when handle returns.
func acceptEach(ln net.Listener, handle func(net.Conn)) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			handle(c)
		}()
	}
}

func serveUDP(pc net.PacketConn, name string) error {
	buf := make([]byte, 2048)
	for {
		_, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		_, _ = pc.WriteTo([]byte(answer(name, from)), from)
	}
}

func serveHTTP(ln net.Listener, name string) error {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, answer(name, remoteAddr(r.RemoteAddr)))
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	return srv.Serve(ln)
}

// remoteAddr adapts http's string remote address to net.Addr for answer.
type remoteAddr string

func (a remoteAddr) Network() string { return "tcp" }
func (a remoteAddr) String() string  { return string(a) }

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "nnt-echo"
	}
	return h
}
