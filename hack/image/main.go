// Command image builds nodenet's container image without a Docker daemon:
// one layer holding the static binary as /nodenet, the entrypoint, written
// as an image tarball (`docker load`, `podman load`, `ctr images import`,
// `crane push`). A module of its own so that the product's go.mod does not
// carry go-containerregistry.
//
// The image holds nothing else: no iptables, nft, ipset or conntrack
// binaries, which the backends exec (see deploy/README.md).
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	binary := flag.String("binary", "bin/nodenet", "the static nodenet binary to put in the image")
	out := flag.String("o", "bin/nodenet-image.tar", "the image tarball to write")
	tag := flag.String("tag", "nodenet:dev", "the image reference recorded in the tarball")
	flag.Parse()
	if err := build(*binary, *tag, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}
