package cni

import (
	"fmt"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/nodenet/nodenet/cni/hostlocal"
)

// gcStdin builds a GC request the way libcni's GCNetworkList does.
func gcStdin(t *testing.T, inject map[string]any) []byte {
	t.Helper()
	plugin, err := libcni.ConfFromBytes([]byte(fmt.Sprintf(baseConf, "1.1.0")))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := libcni.InjectConf(plugin, inject)
	if err != nil {
		t.Fatal(err)
	}
	return conf.Bytes
}

func TestValidAttachments(t *testing.T) {
	live := []types.GCAttachment{{ContainerID: "c1", IfName: "eth0"}}
	for _, c := range []struct {
		name   string
		inject map[string]any
		want   map[hostlocal.Attachment]bool
		code   uint
	}{
		// GCArgs{} with no attachments: libcni sends null, meaning none is live.
		{"null", map[string]any{validAttachmentsKey: []types.GCAttachment(nil)}, map[hostlocal.Attachment]bool{}, 0},
		{"empty", map[string]any{validAttachmentsKey: []types.GCAttachment{}}, map[hostlocal.Attachment]bool{}, 0},
		{"list", map[string]any{validAttachmentsKey: live}, map[hostlocal.Attachment]bool{{ContainerID: "c1", IfName: "eth0"}: true}, 0},
		// GCNetworkList(nil args), as cnitool gc does: no list at all,
		// which the reference host-local reads as none live.
		{"absent", map[string]any{}, map[hostlocal.Attachment]bool{}, 0},
		{"old spelling only", map[string]any{oldAttachmentsKey: live}, map[hostlocal.Attachment]bool{{ContainerID: "c1", IfName: "eth0"}: true}, 0},
	} {
		stdin := gcStdin(t, c.inject)
		n, err := parseConfig(stdin)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := validAttachments(stdin, n)
		if codeOf(err) != c.code {
			t.Fatalf("%s: code %d (%v), want %d", c.name, codeOf(err), err, c.code)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
