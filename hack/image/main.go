// Command image builds nodenet's container image without a Docker daemon:
// the static binary as /nodenet, the entrypoint, on a layer of the
// programs the backends exec (iptables, nft, ipset, conntrack: -rootfs,
// made by tools-rootfs.sh), written as an image tarball (`docker load`,
// `podman load`, `ctr images import`, `crane push`). A module of its own
// so that the product's go.mod does not carry go-containerregistry.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	binary := flag.String("binary", "bin/nodenet", "the static nodenet binary to put in the image")
	rootfs := flag.String("rootfs", "", "a tree to put under the binary (tools-rootfs.sh's); empty: the binary alone")
	out := flag.String("o", "bin/nodenet-image.tar", "the image tarball to write")
	tag := flag.String("tag", "nodenet:dev", "the image reference recorded in the tarball")
	flag.Parse()
	if err := build(*binary, *rootfs, *tag, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}
