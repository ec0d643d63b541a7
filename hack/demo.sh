#!/usr/bin/env bash
# demo.sh: nodenet on a throwaway "node" made of network namespaces.
#
# Run as root (make demo). Needs no cluster and no network: it builds
# nodenet and the nnt-echo helper, makes a node namespace with three web
# pods on a bridge and an outside client, starts `nodenet agent` on
# deploy/demo/ inside the node, shows ClusterIP, NodePort and UDP traffic
# and `nodenet dump`, and removes everything on exit, even on failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
P=nnt-demo                       # every namespace of the demo starts with this
NODE=$P-node CLIENT=$P-client TOOLBOX=$P-toolbox
PODS=(pod-a pod-b pod-c)
WORK=$(mktemp -d /tmp/nnt-demo.XXXXXX)
PIDS=()
FAILED=0

# Colours only on a terminal: CI logs stay plain.
if [ -t 1 ]; then B=$'\033[1;34m' G=$'\033[1;32m' R=$'\033[1;31m' N=$'\033[0m'; else B= G= R= N=; fi
say()  { printf '%s==>%s %s\n' "$B" "$N" "$*"; }
got()  { printf '%s<==%s %s\n' "$G" "$N" "$*"; }
note() { printf '    %s\n' "$*"; }
bad()  { printf '%s!!!%s %s\n' "$R" "$N" "$*"; FAILED=1; }
inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
	set +e
	say "cleaning up"
	# Stop what we started, by PID, and reap it.
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		! kill -0 "$pid" 2>/dev/null || bad "process $pid still running"
	done
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P-"); do ip netns del "$ns"; done
	rm -rf "$WORK"
	say "done: $(ip netns list | grep -c "^$P-" || true) demo namespaces left"
}

preflight() {
	[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it creates network namespaces)" >&2; exit 1; }
	# Leftovers of an interrupted demo are ours to remove.
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns del "$ns"; done
}

build() {
	if [ -n "${NODENET_BIN:-}" ]; then
		say "using nodenet from \$NODENET_BIN=$NODENET_BIN; building the nnt-echo helper"
		NODENET=$(realpath "$NODENET_BIN")
	else
		say "building nodenet and the nnt-echo helper"
		make -s build
		NODENET=$ROOT/bin/nodenet
	fi
	CGO_ENABLED=0 go build -o "$WORK/nnt-echo" ./test/cmd/nnt-echo
	ECHO=$WORK/nnt-echo
	"$NODENET" version | sed 's/^/    /'
}

mkns() { ip netns add "$1"; ip -n "$1" link set lo up; }

# veth NS LOCAL PEER_NS REMOTE: a veth pair made inside the node namespace.
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

make_node() {
	say "creating node namespace $NODE with bridge nnt-br0 (pods 10.244.1.0/24, node 10.244.1.1)"
	mkns "$NODE"
	# No redirects: the Service route below points back into the bridge.
	inns "$NODE" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.default.send_redirects=0
	ip -n "$NODE" link add nnt-br0 type bridge
	ip -n "$NODE" link set nnt-br0 up
	ip -n "$NODE" addr add 10.244.1.1/24 dev nnt-br0
	# The node's own requests to ClusterIPs need a route (a real node has a
	# default route; this one has no way out at all).
	ip -n "$NODE" route add 10.96.0.0/12 dev nnt-br0
}

make_pod() { # name ip index
	local ns=$P-$1
	mkns "$ns"
	veth "$NODE" "nnt-v$3" "$ns" eth0
	ip -n "$NODE" link set "nnt-v$3" master nnt-br0
	inns "$NODE" bridge link set dev "nnt-v$3" hairpin on
	ip -n "$ns" addr add "$2/24" dev eth0
	ip -n "$ns" route add default via 10.244.1.1
}

make_pods() {
	local i=0
	for pod in "${PODS[@]}"; do
		local ip=10.244.1.$((10 + i))
		say "creating pod $pod ($ip) in namespace $P-$pod, serving HTTP :80 and UDP :8080"
		make_pod "$pod" "$ip" "$i"
		# ip netns exec directly, not the inns function: a backgrounded
		# function is a subshell, and $! would be its PID, not the server's.
		ip netns exec "$P-$pod" "$ECHO" serve -name "$pod" -http :80 -udp :8080 >"$WORK/$pod.log" 2>&1 &
		PIDS+=($!)
		i=$((i + 1))
	done
	say "creating a client pod in namespace $TOOLBOX (10.244.1.20)"
	make_pod toolbox 10.244.1.20 9
}

make_client() {
	say "creating outside client namespace $CLIENT (192.0.2.10, node side 192.0.2.1)"
	mkns "$CLIENT"
	veth "$NODE" ext0 "$CLIENT" eth0
	ip -n "$NODE" addr add 192.0.2.1/24 dev ext0
	ip -n "$CLIENT" addr add 192.0.2.10/24 dev eth0
	ip -n "$CLIENT" route add 10.96.0.0/12 via 192.0.2.1
}

# poll TIMEOUT_S CMD...: retry CMD every 0.1 s until it succeeds.
poll() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

start_agent() {
	say "starting nodenet agent --manifests deploy/demo in $NODE"
	ip netns exec "$NODE" "$NODENET" agent --manifests "$ROOT/deploy/demo" \
		--hostname-override nnt-demo-node --cluster-cidr 10.244.0.0/16 >"$WORK/agent.log" 2>&1 &
	PIDS+=($!)
	if ! poll 30 inns "$NODE" "$NODENET" dump; then
		bad "agent did not come up; its log:"; cat "$WORK/agent.log"; exit 1
	fi
	poll 10 inns "$TOOLBOX" "$ECHO" dial -proto http -addr 10.96.0.10:80 -timeout 1s || true
	got "agent is up: $(inns "$NODE" iptables-save | grep -c '^:NODENET-') NODENET- chains programmed"
}

# ask FROM_NS PROTO ADDR WHAT N: N requests, one line per answer.
ask() {
	local from=$1 proto=$2 addr=$3 what=$4 n=$5 line
	say "$n $proto requests to $addr from $from ($what)"
	# dial exits 1 when a request failed: the FAIL lines say it, not set -e.
	{ inns "$from" "$ECHO" dial -proto "$proto" -addr "$addr" -n "$n" -timeout 2s || true; } | while read -r line; do
		case $line in
		ERR*) echo "FAIL $line" ;;
		*) set -- $line; got "$what answered from $1 (it saw the client as ${2%:*})" ;;
		esac
	done | tee -a "$WORK/answers" | sed 's/^FAIL /!!! /'
}

show_traffic() {
	ask "$TOOLBOX" http 10.96.0.10:80 "web ClusterIP" 6
	note "(pod traffic keeps its source: 10.244.1.20 is inside --cluster-cidr)"
	ask "$CLIENT" http 192.0.2.1:30080 "web NodePort" 3
	note "(outside traffic is masqueraded: the pods see the node, 10.244.1.1)"
	ask "$TOOLBOX" udp 10.96.0.20:5000 "echo-udp" 3
	if grep -q '^FAIL' "$WORK/answers"; then FAILED=1; fi
}

show_dump() {
	say "nodenet dump (what the agent programs)"
	inns "$NODE" "$NODENET" dump | sed 's/^/    /'
	say "nodenet dump rules, first 20 lines (the iptables side)"
	inns "$NODE" "$NODENET" dump rules | sed -n '1,20s/^/    /p'
}

main() {
	preflight
	trap cleanup EXIT
	trap 'exit 130' INT TERM # exit through the EXIT trap on Ctrl-C too
	build
	make_node
	make_pods
	make_client
	start_agent
	show_traffic
	show_dump
	if [ "$FAILED" = 1 ]; then
		bad "some requests failed; agent log:"; sed 's/^/    /' "$WORK/agent.log"; exit 1
	fi
	say "demo OK"
}

main "$@"
