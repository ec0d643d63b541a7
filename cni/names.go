package cni

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
)

// validName is the spec's character set for container IDs and network
// names. It excludes '/', so neither can climb out of the IPAM data dir, and
// must not start with '.' so "." and ".." are impossible.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`)

// maxNameLen bounds runtime-provided names: they become file contents and
// hash inputs, and no runtime sends more.
const maxNameLen = 1024

func validateContainerID(id string) *types.Error {
	if id == "" {
		return types.NewError(types.ErrUnknownContainer, "CNI_CONTAINERID is empty", "")
	}
	if len(id) > maxNameLen {
		return types.NewError(types.ErrInvalidEnvironmentVariables,
			fmt.Sprintf("CNI_CONTAINERID is %d bytes long, more than the %d allowed", len(id), maxNameLen), "begins "+shortened(id))
	}
	if !validName.MatchString(id) {
		return types.NewError(types.ErrInvalidEnvironmentVariables, "CNI_CONTAINERID: invalid characters in container ID", shortened(id))
	}
	return nil
}

// shortened quotes at most 64 bytes of a runtime-given name: an error
// must say which name, not echo kilobytes of it back into the runtime's
// log.
func shortened(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:max]) + "…"
}

func validateNetworkName(name string) *types.Error {
	if name == "" {
		return errConfig("missing network name")
	}
	if len(name) > maxNameLen {
		return types.NewError(types.ErrInvalidNetworkConfig,
			fmt.Sprintf("network name is %d bytes long, more than the %d allowed", len(name), maxNameLen), "begins "+shortened(name))
	}
	if !validName.MatchString(name) {
		return types.NewError(types.ErrInvalidNetworkConfig, "invalid characters in network name", shortened(name))
	}
	return nil
}

// validateIfName applies the kernel's rules (net/core/dev.c dev_valid_name).
func validateIfName(name string) *types.Error {
	bad := func(why string) *types.Error {
		return types.NewError(types.ErrInvalidEnvironmentVariables, "invalid interface name: "+why, name)
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > 15:
		return bad("longer than 15 bytes")
	case name == "." || name == "..":
		return bad(". or ..")
	case strings.ContainsAny(name, "/: \t\n\r\v\f"):
		return bad("contains '/', ':' or whitespace")
	}
	return nil
}

func hashHex(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0}) // separator: ("ab","c") != ("a","bc")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hostVethName is deterministic in (container ID, ifname) so DEL and GC can
// find the host end even when the pod netns is already gone. 3 + 12 = 15
// bytes, the kernel's IFNAMSIZ-1 limit.
func hostVethName(containerID, ifname string) string {
	return "nnv" + hashHex(containerID, ifname)[:12]
}

// MaxChainLen is the longest chain name iptables accepts
// (XT_EXTENSION_MAXNAMELEN 29 including the NUL).
const MaxChainLen = 28

// chainPrefix marks every iptables chain nodenet's CNI plugin owns.
const chainPrefix = "NODENET-"
