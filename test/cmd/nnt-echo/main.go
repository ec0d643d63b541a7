// Command nnt-echo is the test workload and test client of nodenet's
// end-to-end suites and demo.
//
//	nnt-echo serve -name pod-a [-tcp :8080] [-udp :8080] [-http :80]
//	nnt-echo dial -proto tcp|udp|http -addr 10.96.0.10:80 [-n 10] [-timeout 2s]
//	nnt-echo serve ... -lines :9090
//	nnt-echo hold -addr 10.96.0.10:90 [-every 100ms] [-timeout 5s]
//	nnt-echo probe [-timeout 1s] tcp/10.244.1.10:80 udp/[fd00::a]:81 ...
//	nnt-echo nflog [-group 100] [-n 1] [-timeout 10s]
//	nnt-echo ra [-dev eth0] [-prefix 2001:db8:bad::/64]
//	nnt-echo garp [-dev eth0] -ip 10.244.1.1|fd00::1
//	nnt-echo send -addr 255.255.255.255:80|[ff02::1%eth0]:80 [-n 1]
//	nnt-echo pipe -addr 198.18.0.1:6443
//
// serve answers every TCP connection, UDP datagram and HTTP request with
// "<name> <remote addr>\n", so a client sees which endpoint answered and
// which source address that endpoint saw (the masquerade check). Its -lines
// server instead keeps each connection and answers every line with
// "<name> <remote addr> <line>"; hold keeps one such connection busy and
// prints every answer, for tests that must show a connection survives.
//
// dial prints one line per attempt: the answer, or "ERR <kind> <detail>"
// where kind is refused, timeout, unreachable or other. It exits 1 when any
// attempt failed. It runs as a separate process so tests can start it inside
// any network namespace with `ip netns exec`.
//
// probe tries every target once, all at the same time, and prints
// "<target> ok <answer>" or "<target> ERR <kind> <detail>" per target in
// the order given; it exits 0 whatever the outcomes. The NetworkPolicy
// reachability matrix probes dozens of pairs per source this way in one
// exec.
//
// nflog prints the prefix and addresses of packets logged to an NFLOG
// group, the way the firewall's --netpol-log-drops hands them to a logger.
// ra plays a rogue pod: one router advertisement of a prefix. garp plays
// one spoofing a neighbour: an ARP reply or neighbour advertisement
// claiming an address. send sends UDP datagrams, to broadcast and
// multicast addresses too, and waits for nothing. pipe joins its stdin and
// stdout to one TCP connection (qemu's guestfwd runs it per connection).
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serveMain(os.Args[2:])
	case "dial":
		err = dialMain(os.Args[2:])
	case "hold":
		err = holdMain(os.Args[2:])
	case "probe":
		err = probeMain(os.Args[2:])
	case "nflog":
		err = nflogMain(os.Args[2:])
	case "ra":
		err = raMain(os.Args[2:])
	case "garp":
		err = garpMain(os.Args[2:])
	case "send":
		err = sendMain(os.Args[2:])
	case "pipe":
		err = pipeMain(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nnt-echo:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: nnt-echo serve|dial|hold|probe|nflog|ra|garp|send|pipe [flags]")
	os.Exit(2)
}
