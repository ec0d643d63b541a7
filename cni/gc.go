package cni

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/vishvananda/netlink"

	"github.com/nodenet/nodenet/cni/hostlocal"
	"github.com/nodenet/nodenet/cni/portfilter"
	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// cmdGC releases everything of this network not in cni.dev/valid-attachments:
// addresses, host veths left on the bridge and masquerade set members. It
// covers what a killed ADD leaves behind. As the spec asks,
// a failed step does not stop the others; all failures are reported.
func cmdGC(args *skel.CmdArgs) error {
	n, err := parseConfig(args.StdinData)
	if err != nil {
		return err
	}
	valid, err := validAttachments(args.StdinData, n)
	if err != nil {
		return err
	}
	// Masquerade members go before their addresses are released, as in DEL.
	var errs []error
	if n.masquerades() {
		errs = append(errs, gcMasq(n, valid))
	}
	errs = append(errs, n.ipam().gc(args, valid), gcPorts(n, valid))
	// After gcPorts: the port filter forgets every port that is gone,
	// whichever network it was of (its name cannot come back but with
	// the same attachment, which ADD enrols again).
	errs = append(errs, portfilter.ForgetIf(func(port string) bool {
		_, err := netlink.LinkByName(port)
		return errors.As(err, new(netlink.LinkNotFoundError))
	}))
	return errors.Join(errs...)
}

// validAttachments returns the runtime's live attachments: none when the
// key is null, empty or absent, as the reference plugins read it.
//
// Absent is safe to read as "none is live": libcni (GCNetworkList) leaves
// the key out only when its caller gave no GCArgs at all (cnitool gc), and
// then it has already sent DEL for every attachment it cached for this
// network, since none was listed as valid. A runtime that keeps pods
// passes GCArgs, and libcni then always sends the key (null when the list
// is empty). The old "cni.dev/attachments" spelling (libcni sends both,
// containernetworking/cni#1101) is read when the right one is missing.
func validAttachments(stdin []byte, n *NetConf) (map[hostlocal.Attachment]bool, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(stdin, &keys); err != nil {
		return nil, errDecode("decoding network config: %v", err)
	}
	list := n.ValidAttachments
	if _, given := keys[validAttachmentsKey]; !given {
		if raw, ok := keys[oldAttachmentsKey]; ok {
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, errDecode("decoding %s: %v", oldAttachmentsKey, err)
			}
		}
	}
	valid := map[hostlocal.Attachment]bool{}
	for _, a := range list {
		valid[hostlocal.Attachment{ContainerID: a.ContainerID, IfName: a.IfName}] = true
	}
	return valid, nil
}

const (
	validAttachmentsKey = "cni.dev/valid-attachments"
	oldAttachmentsKey   = "cni.dev/attachments"
)

// gcPorts deletes our host veths whose attachment is not valid. Ours means
// our name prefix and this network's alias (set right after creation, see
// tagPort), so a veth from an ADD killed before it joined the bridge is
// found too, and another network sharing the bridge is left alone.
func gcPorts(n *NetConf, valid map[hostlocal.Attachment]bool) error {
	keep := map[string]bool{}
	for a := range valid {
		keep[hostVethName(a.ContainerID, a.IfName)] = true
	}
	links, err := netlinkdump.Retry(netlink.LinkList)
	if err != nil {
		return fmt.Errorf("listing links: %w", err)
	}
	alias := portAlias(n.Name)
	var errs []error
	for _, l := range links {
		a := l.Attrs()
		if !strings.HasPrefix(a.Name, "nnv") || a.Alias != alias || keep[a.Name] {
			continue
		}
		errs = append(errs, deleteHostVeth(a.Name))
	}
	return errors.Join(errs...)
}

// gcMasq removes this network's pod set members whose attachment is not
// valid (their addresses are released next, or were never held).
func gcMasq(n *NetConf, valid map[hostlocal.Attachment]bool) error {
	keep := map[string]bool{}
	for a := range valid {
		keep[attachmentKey(a.ContainerID, a.IfName)] = true
	}
	return gcMembers(n.Name, keep)
}

// gcMembers deletes the members of the network's pod sets not owned by a
// key in keep. Members without an owner are not ours to judge.
func gcMembers(network string, keep map[string]bool) error {
	var errs []error
	for _, f := range allFamilies {
		set := podSetName(network, f)
		info, err := listIpset(set)
		if errors.Is(err, syscall.ENOENT) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("listing ipset %s: %w", set, err))
			continue
		}
		for _, e := range info.Entries {
			if e.Comment == "" || keep[e.Comment] {
				continue
			}
			if err := netlink.IpsetDel(set, &netlink.IPSetEntry{IP: e.IP, Replace: true}); err != nil {
				errs = append(errs, fmt.Errorf("removing %s from ipset %s: %w", e.IP, set, err))
			}
		}
	}
	return errors.Join(errs...)
}
