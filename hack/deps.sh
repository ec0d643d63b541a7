#!/usr/bin/env bash
# deps.sh: install the system tools the e2e suites and the demo need, if
# any is missing (idempotent; a no-op on a prepared machine). Debian/Ubuntu.
set -euo pipefail

# command -> Debian package
declare -A PKG=(
	[ip]=iproute2 [bridge]=iproute2 [iptables]=iptables [iptables-save]=iptables
	[ip6tables]=iptables [ipset]=ipset [conntrack]=conntrack [nft]=nftables
	[sysctl]=procps [git]=git [make]=make [curl]=curl
	[qemu-system-x86_64]=qemu-system-x86 [depmod]=kmod [modprobe]=kmod
)

missing=()
for cmd in "${!PKG[@]}"; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG[$cmd]}")
done
# The benchmarks read iptables-restore's peak memory with GNU time; `time`
# alone is the shell keyword, so look for the binary.
[ -x /usr/bin/time ] || missing+=(time)
# ca-certificates lets the Go toolchain fetch modules from the proxy.
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing ${missing[*]}; run as root (or install them) first" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
