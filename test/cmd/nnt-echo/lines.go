package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// serveLines keeps every TCP connection open and answers each line with
// "<name> <remote addr> <line>": one long-lived connection, the thing an
// agent restart must not break.
func serveLines(ln net.Listener, name string) error {
	return acceptEach(ln, func(c net.Conn) {
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			line := strings.TrimSpace(answer(name, c.RemoteAddr())) + " " + sc.Text() + "\n"
			if _, err := c.Write([]byte(line)); err != nil {
				return
			}
		}
	})
}

// holdMain opens one TCP connection and exchanges a numbered line on it
// every interval, printing each answer, until the connection fails (it then
// prints "ERR <kind> <detail>" and exits 1) or SIGTERM.
func holdMain(args []string) error {
	fs := flag.NewFlagSet("hold", flag.ExitOnError)
	addr := fs.String("addr", "", "host:port to reach")
	every := fs.Duration("every", 100*time.Millisecond, "pause between two exchanges")
	timeout := fs.Duration("timeout", 5*time.Second, "per-exchange timeout")
	_ = fs.Parse(args)
	if *addr == "" {
		return errors.New("hold: -addr is required")
	}
	c, err := net.DialTimeout("tcp", *addr, *timeout)
	if err != nil {
		fmt.Println("ERR " + classify(err) + " " + err.Error())
		os.Exit(1)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := 0; ; i++ {
		line, err := exchange(c, r, fmt.Sprint(i), *timeout)
		if err != nil {
			fmt.Println("ERR " + classify(err) + " " + err.Error())
			os.Exit(1)
		}
		fmt.Println(line)
		time.Sleep(*every)
	}
}

func exchange(c net.Conn, r *bufio.Reader, msg string, timeout time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(msg + "\n")); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}
