#!/usr/bin/env bash
# demo.sh: the whole of nodenet on a throwaway "node" made of network
# namespaces: the CNI plugin, the Service proxy and the NetworkPolicy
# firewall, then the CLI an SRE reads them with.
#
# Run as root (make demo). Needs no cluster and no network. It builds
# nodenet, the nnt-echo test server and cnitool (the CNI project's own
# runtime tool); starts `nodenet agent` inside a node namespace on a copy of
# deploy/demo/, which installs nodenet as the node's CNI plugin; creates
# each pod by calling that plugin through the installed conflist, as a
# container runtime does; shows Services at work, a NetworkPolicy turning a
# client away and `nodenet trace` saying why, and the policy lifted again.
# Everything is removed on exit, even on failure. The `show` lines are the
# README's example commands (cmd/nodenet/readme_test.go keeps them equal).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
P=nnt-demo                       # every namespace of the demo starts with this
NODE=$P-node CLIENT=$P-client
WEB_PODS=(pod-a pod-b pod-c)
declare -A POD_IP=([pod-a]=10.244.1.10 [pod-b]=10.244.1.11 [pod-c]=10.244.1.12 [toolbox]=10.244.1.20)
WORK=$(mktemp -d /tmp/nnt-demo.XXXXXX)
PIDS=()
ADDED=()                         # pods the CNI plugin was given, for DEL
FAILED=0

# Colours only on a terminal: CI logs stay plain.
if [ -t 1 ]; then B=$'\033[1;34m' G=$'\033[1;32m' R=$'\033[1;31m' N=$'\033[0m'; else B= G= R= N=; fi
say()  { printf '\n%s==>%s %s\n' "$B" "$N" "$*"; }
got()  { printf '%s<==%s %s\n' "$G" "$N" "$*"; }
note() { printf '    %s\n' "$*"; }
bad()  { printf '%s!!!%s %s\n' "$R" "$N" "$*"; FAILED=1; }
inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
	set +e
	say "cleaning up"
	# CNI DEL for every pod, as a runtime does when a pod goes away.
	for pod in "${ADDED[@]}"; do cni del "$pod" >/dev/null || bad "CNI DEL of $pod failed"; done
	# Stop what we started, by PID, and reap it.
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		! kill -0 "$pid" 2>/dev/null || bad "process $pid still running"
	done
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P-"); do ip netns del "$ns"; done
	rm -rf "$WORK"
	note "done: $(ip netns list | grep -c "^$P-" || true) demo namespaces left"
}

preflight() {
	[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it creates network namespaces)" >&2; exit 1; }
	# Leftovers of an interrupted demo are ours to remove.
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns del "$ns"; done
}

# progress: go build -v names each package it compiles; print a line every
# 25 of them, so a cold build (minutes) visibly moves and a warm one is quiet.
progress() { awk '{ n++; if (n % 25 == 0) { printf "    ... %d packages compiled (%s)\n", n, $0; fflush() } }
	END { if (n) printf "    ... %d packages compiled\n", n }'; }

build() {
	say "building nodenet, the nnt-echo test server and cnitool"
	note "the first build compiles every dependency and may take a few minutes; later ones take seconds"
	if [ -n "${NODENET_BIN:-}" ]; then
		note "using nodenet from \$NODENET_BIN=$NODENET_BIN"
		NODENET=$(realpath "$NODENET_BIN")
	else
		GOFLAGS=-v make -s build 2>&1 | progress
		NODENET=$ROOT/bin/nodenet
	fi
	CGO_ENABLED=0 go build -v -o "$WORK/nnt-echo" ./test/cmd/nnt-echo 2>&1 | progress
	go build -v -o "$WORK/cnitool" github.com/containernetworking/cni/cnitool 2>&1 | progress
	ECHO=$WORK/nnt-echo CNITOOL=$WORK/cnitool
	note "$("$NODENET" version)"
}

mkns() { ip netns add "$1"; ip -n "$1" link set lo up; }

make_node() {
	say "creating the node: namespace $NODE, and an outside client $CLIENT (192.0.2.10) wired to it (192.0.2.1)"
	mkns "$NODE"
	inns "$NODE" sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0
	mkns "$CLIENT"
	ip -n "$NODE" link add ext0 type veth peer name eth0 netns "$CLIENT"
	ip -n "$NODE" link set ext0 up
	ip -n "$CLIENT" link set eth0 up
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
	mkdir -p "$WORK/manifests" "$WORK/net.d" "$WORK/cni-bin" "$WORK/varlib"
	cp "$ROOT"/deploy/demo/*.yaml "$WORK/manifests/"
	say "starting nodenet agent in $NODE on a copy of deploy/demo/ (Services, EndpointSlices, Pods, the Node)"
	note "with --cni-conf-dir and --cni-bin-dir it installs itself as the node's CNI plugin"
	ip netns exec "$NODE" "$NODENET" agent --manifests "$WORK/manifests" \
		--hostname-override nnt-demo-node --cluster-cidr 10.244.0.0/16 \
		--cni-conf-dir "$WORK/net.d" --cni-bin-dir "$WORK/cni-bin" >"$WORK/agent.log" 2>&1 &
	PIDS+=($!)
	if ! poll 30 inns "$NODE" "$NODENET" dump || ! poll 10 test -f "$WORK/net.d/10-nodenet.conflist"; then
		bad "agent did not come up; its log:"; cat "$WORK/agent.log"; exit 1
	fi
	got "agent is up; it installed:"
	note "$WORK/cni-bin/nodenet (itself) and $WORK/net.d/10-nodenet.conflist, from the Node's pod CIDR:"
	sed 's/^/      /' "$WORK/net.d/10-nodenet.conflist"
}

# cni VERB POD: cnitool runs the conflist's plugin (nodenet) for the pod's
# namespace, in the node, as a runtime does. cnitool and the plugin keep
# state under /var/lib/cni: a private mount namespace puts that in $WORK.
cni() {
	NETCONFPATH=$WORK/net.d CNI_PATH=$WORK/cni-bin CNI_IFNAME=eth0 \
		CNI_ARGS="IgnoreUnknown=1;IP=${POD_IP[$2]}" \
		unshare -m --propagation private sh -c 'mount --bind "$0" /var/lib && exec ip netns exec "$1" "$2" "$3" nodenet "$4"' \
		"$WORK/varlib" "$NODE" "$CNITOOL" "$1" "/run/netns/$P-$2"
}

make_pod() { # name
	mkns "$P-$1"
	cni add "$1" >"$WORK/$1.cni.json"
	ADDED+=("$1")
	got "$1: CNI ADD gave $(ip -n "$P-$1" -4 -o addr show dev eth0 | awk '{print $4}'), $(ip -n "$P-$1" route show default)"
}

make_pods() {
	say "creating the pods: for each, a namespace, then CNI ADD through the installed conflist (bridge nodenet0, host-local IPAM)"
	for pod in "${WEB_PODS[@]}" toolbox; do make_pod "$pod"; done
	note "the bridge's ports: $(ip -n "$NODE" -o link show master nodenet0 | awk -F': ' '{print $2}' | cut -d@ -f1 | tr '\n' ' ')"
	# The node's own requests to ClusterIPs need a route (a real node has
	# a default route; this one has no way out at all).
	ip -n "$NODE" route add 10.96.0.0/12 dev nodenet0
	for pod in "${WEB_PODS[@]}"; do
		# ip netns exec directly, not the inns function: a backgrounded
		# function is a subshell, and $! would be its PID, not the server's.
		ip netns exec "$P-$pod" "$ECHO" serve -name "$pod" -http :80 -udp :8080 >"$WORK/$pod.log" 2>&1 &
		PIDS+=($!)
	done
	note "pod-a, pod-b and pod-c serve HTTP :80 and UDP :8080 (they answer with their name and the client address they saw)"
	poll 10 inns "$P-toolbox" "$ECHO" dial -proto http -addr 10.96.0.10:80 -timeout 1s || true
}

# ask FROM_NS PROTO ADDR WHAT N [fail]: N requests, one line per answer;
# with "fail" every request is meant to fail.
ask() {
	local from=$1 proto=$2 addr=$3 what=$4 n=$5 expect=${6:-ok} line
	say "$n $proto requests to $addr from ${from#"$P-"} ($what)"
	# dial exits 1 when a request failed: the lines say it, not set -e.
	{ inns "$from" "$ECHO" dial -proto "$proto" -addr "$addr" -n "$n" -timeout 2s || true; } >"$WORK/dial"
	while read -r line; do
		case $line in
		ERR*) if [ "$expect" = fail ]; then got "turned away: ${line#ERR }"; else bad "$line"; fi ;;
		*) set -- $line
			if [ "$expect" = fail ]; then bad "answered by $1, but must be turned away"; else got "answered by $1 (it saw the client as ${2%:*})"; fi ;;
		esac
	done <"$WORK/dial"
}

# show RC nodenet ARGS...: run a nodenet command in the node, as an SRE
# would, and print it with its output; RC is the exit status it must have.
show() {
	local want=$1 rc=0; shift 2
	printf '\n    %s$ nodenet %s%s\n' "$B" "$*" "$N"
	inns "$NODE" "$NODENET" "$@" >"$WORK/out" 2>&1 || rc=$?
	sed 's/^./      &/' "$WORK/out"
	[ "$rc" = "$want" ] || bad "nodenet $* exited $rc, want $want"
	[ "$rc" = 0 ] || note "(exit status $rc)"
}

show_services() {
	ask "$P-toolbox" http 10.96.0.10:80 "Service web, ClusterIP" 6
	note "(pod traffic keeps its source: 10.244.1.20 is inside --cluster-cidr;"
	note " the node's iptables hold $(inns "$NODE" iptables-save | grep -c '^:NODENET-') NODENET- chains, whatever the number of Services)"
	ask "$CLIENT" http 192.0.2.1:30080 "Service web, NodePort" 3
	note "(outside traffic is masqueraded: the pods see the node's bridge address, 10.244.1.1)"
	ask "$P-toolbox" udp 10.96.0.20:5000 "Service echo-udp" 3
	say "what the agent programs"
	show 0 nodenet dump
}

# wait_dial NS ADDR WANT: poll until one request from NS to ADDR succeeds
# (WANT ok) or fails (WANT fail): the agent applied a folder change.
wait_dial() {
	local cond='grep -qv ^ERR'
	[ "$3" = ok ] || cond='grep -q ^ERR'
	poll 10 sh -c "ip netns exec $1 $ECHO dial -proto http -addr $2 -timeout 1s 2>/dev/null | $cond"
}

show_policy() {
	say "NetworkPolicy web-from-outside: the web pods accept clients from outside (192.0.2.0/24) only"
	cp "$ROOT/deploy/demo/policy/web-from-outside.yaml" "$WORK/manifests/"
	wait_dial "$P-toolbox" 10.96.0.10:80 fail || bad "the policy did not take effect within 10 s"
	ask "$P-toolbox" http 10.96.0.10:80 "Service web, now with a policy" 2 fail
	ask "$CLIENT" http 192.0.2.1:30080 "Service web, NodePort" 2
	say "why is the toolbox turned away? nodenet trace follows its packet"
	show 1 nodenet trace --from default/toolbox --to default/web --port http
	show 0 nodenet dump policies
	say "lifting the policy"
	rm "$WORK/manifests/web-from-outside.yaml"
	wait_dial "$P-toolbox" 10.96.0.10:80 ok || bad "the policy was not lifted within 10 s"
	ask "$P-toolbox" http 10.96.0.10:80 "Service web, policy lifted" 3
	show 0 nodenet trace --from default/toolbox --to default/web --port http
}

main() {
	preflight
	trap cleanup EXIT
	trap 'exit 130' INT TERM # exit through the EXIT trap on Ctrl-C too
	build
	make_node
	start_agent
	make_pods
	show_services
	show_policy
	if [ "$FAILED" = 1 ]; then
		bad "something went wrong; agent log:"; sed 's/^/    /' "$WORK/agent.log"; exit 1
	fi
	say "demo OK: one binary was the CNI plugin, the Service proxy and the NetworkPolicy firewall"
}

main "$@"
