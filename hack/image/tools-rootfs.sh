#!/bin/sh
# tools-rootfs.sh [CACHE]: prints a directory holding the programs the
# agent execs (iptables/ip6tables and their -save/-restore, ipset, nft,
# conntrack) with their libraries, from this machine's Debian release:
# the packages and their dependencies fetched with apt-get download and
# unpacked with dpkg-deb -x (no maintainer scripts run, no root needed
# beyond apt's cache). Built once per set of package versions, in CACHE
# (default /var/cache/nodenet-image), outside the work tree.
set -eu
cache=${1:-/var/cache/nodenet-image}
tools="iptables ipset nftables conntrack"

deps=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances $tools | grep '^[a-z0-9]' | sort -u)
# The versions apt would fetch name the result: a point release rebuilds it.
key=$(apt-cache show --no-all-versions $deps | grep -E '^(Package|Version):' | sha256sum | cut -c1-16)
rootfs=$cache/rootfs-$key
if [ -d "$rootfs" ]; then
	echo "$rootfs"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/debs" "$work/rootfs"
(cd "$work/debs" && apt-get download -q $deps >&2)
for deb in "$work"/debs/*.deb; do
	dpkg-deb -x "$deb" "$work/rootfs"
done
# update-alternatives (a maintainer script) would make these: the nft
# variant, Debian's default since buster and what kubelet uses on current
# distributions.
for cmd in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
	ln -sf "$(echo "$cmd" | sed 's/tables/tables-nft/')" "$work/rootfs/usr/sbin/$cmd"
done
# Drop what a node agent never reads: documentation, manual pages, locales.
rm -rf "$work/rootfs/usr/share/doc" "$work/rootfs/usr/share/man" "$work/rootfs/usr/share/locale"
mkdir -p "$work/rootfs/run" "$work/rootfs/tmp" "$work/rootfs/etc"
mv "$work/rootfs" "$rootfs"
echo "$rootfs"
