package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestServeAndDial checks the answer format on loopback (no root needed).
func TestServeAndDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { _ = serveTCP(ln, "pod-x") }()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() { _ = serveUDP(pc, "pod-x") }()
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hl.Close()
	go func() { _ = serveHTTP(hl, "pod-x") }()

	for proto, addr := range map[string]string{
		"tcp": ln.Addr().String(), "udp": pc.LocalAddr().String(), "http": hl.Addr().String(),
	} {
		got, err := once(proto, addr, 2*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		if !strings.HasPrefix(got, "pod-x 127.0.0.1:") {
			t.Errorf("%s: answer %q, want \"pod-x 127.0.0.1:port\"", proto, got)
		}
	}
}

// TestRefusedIsClassified checks that a closed port reads as "refused", the
// kind the e2e suite asserts for a Service without endpoints.
func TestRefusedIsClassified(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = once("tcp", addr, time.Second)
	if err == nil || classify(err) != "refused" {
		t.Fatalf("tcp to closed port: err %v (kind %q), want refused", err, classify(err))
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	uaddr := pc.LocalAddr().String()
	pc.Close()
	_, err = once("udp", uaddr, time.Second)
	if err == nil || classify(err) != "refused" {
		t.Fatalf("udp to closed port: err %v (kind %q), want refused", err, classify(err))
	}
}

// TestLinesKeepsConnection: the line echo answers many lines on one
// connection, each with the same remote address.
func TestLinesKeepsConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { _ = serveLines(ln, "pod-x") }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, msg := range []string{"0", "1", "2"} {
		got, err := exchange(c, r, msg, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if want := "pod-x " + c.LocalAddr().String() + " " + msg; got != want {
			t.Errorf("answer %q, want %q", got, want)
		}
	}
}
