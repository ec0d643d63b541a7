package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

// dialMain makes n sequential attempts and prints one line per attempt.
func dialMain(args []string) error {
	fs := flag.NewFlagSet("dial", flag.ExitOnError)
	proto := fs.String("proto", "tcp", "tcp, udp or http")
	addr := fs.String("addr", "", "host:port to reach")
	n := fs.Int("n", 1, "number of attempts (each a new connection)")
	timeout := fs.Duration("timeout", 2*time.Second, "per-attempt timeout")
	fs.IntVar(&udpSourcePort, "sport", 0, "UDP only: send from this source port every time (0: a new ephemeral port each)")
	_ = fs.Parse(args)
	if *addr == "" {
		return errors.New("dial: -addr is required")
	}
	failed := 0
	for i := 0; i < *n; i++ {
		line, err := once(*proto, *addr, *timeout)
		if err != nil {
			failed++
			line = "ERR " + classify(err) + " " + err.Error()
		}
		fmt.Println(line)
	}
	if failed > 0 {
		os.Exit(1)
	}
	return nil
}

func once(proto, addr string, timeout time.Duration) (string, error) {
	switch proto {
	case "tcp":
		return dialTCP(addr, timeout)
	case "udp":
		return dialUDP(addr, timeout)
	case "http":
		return dialHTTP(addr, timeout)
	}
	return "", fmt.Errorf("unknown proto %q", proto)
}

func dialTCP(addr string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	return readLine(c)
}

// udpSourcePort, when set, pins the UDP source port so that successive
// attempts share one conntrack entry (the stale-conntrack test needs that).
var udpSourcePort int

// dialUDP uses a connected socket so an ICMP port-unreachable (what a
// Service without endpoints answers) surfaces as ECONNREFUSED on read.
func dialUDP(addr string, timeout time.Duration) (string, error) {
	d := net.Dialer{Timeout: timeout}
	if udpSourcePort != 0 {
		d.LocalAddr = &net.UDPAddr{Port: udpSourcePort}
	}
	c, err := d.Dial("udp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(buf[:n])), nil
}

func dialHTTP(addr string, timeout time.Duration) (string, error) {
	// A fresh transport per attempt: each request is a new connection, so
	// load balancing is visible.
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	url := addr
	if !strings.Contains(url, "://") {
		url = "http://" + addr + "/"
	}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %s", resp.Status)
	}
	// One attempt, one line: fold a multi-line body (e.g. JSON).
	return strings.Join(strings.Fields(string(body)), " "), nil
}

func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// classify names the failure the way tests assert on it.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	case errors.Is(err, syscall.EACCES):
		// ICMPv6 "administratively prohibited", e.g. a firewall's reject.
		return "prohibited"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}
