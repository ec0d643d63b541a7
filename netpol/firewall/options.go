package firewall

// Options tune the firewall.
type Options struct {
	// LogDrops adds an NFLOG rule (rate limited to 10/s, burst 20) before
	// every REJECT, so denied connections can be seen with a listener on
	// LogGroup (ulogd, tcpdump -i nflog:100).
	LogDrops bool
	// LogGroup is the NFLOG group; 0 means 100.
	LogGroup uint16
}

func (o Options) logGroup() uint16 {
	if o.LogGroup == 0 {
		return defaultNFLOGG
	}
	return o.LogGroup
}
